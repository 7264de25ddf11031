// One visitor of the Visitors area in full: what the list shows, the pages of
// this visit, earlier conversations and invitations, and "Invite to chat".
// A side pane on wide screens, a drawer in between, the whole screen on a phone.

import { append, externalLink, h } from '../lib/dom.js';
import { clock, dayLabel, lastMessagePreview, STATUS_LABEL, when } from '../lib/format.js';
import { chatState, device, duration, place, plural, source, visitorTitle } from '../lib/visitors.js';
import { pagesSection } from './visitor.js';

const INVITATION_LABEL = { shown: 'Sent', accepted: 'Accepted', declined: 'Declined' };

export class VisitorDetail {
  // actions: close(), invite(id), reloadDetail(), openConversation(conv),
  // openChat(conversationId)
  constructor(actions) {
    this.actions = actions;
    this.id = null;
    this.v = null;
    this.times = null; // the clocks in the body: {page, site}
    this.name = h('h2', { class: 'visitor-detail-name', testid: 'visitor-detail-name', id: 'visitor-detail-name', tabindex: '-1' });
    this.back = h(
      'button',
      { type: 'button', class: 'btn btn-icon visitor-detail-back not-wide', testid: 'visitor-detail-back', 'aria-label': 'Back to the visitors', onclick: () => actions.close() },
      '‹',
    );
    this.closeButton = h(
      'button',
      { type: 'button', class: 'btn btn-icon btn-quiet visitor-detail-close wide-only', testid: 'visitor-detail-close', 'aria-label': 'Close the details', onclick: () => actions.close() },
      '×',
    );
    this.status = h('p', { class: 'visitor-detail-online' });
    this.inviteButton = h(
      'button',
      { type: 'button', class: 'btn btn-primary visitor-invite', testid: 'visitor-invite', onclick: () => this.id && actions.invite(this.id) },
      'Invite to chat',
    );
    // A disabled button gets no pointer events: the wrapper carries the tooltip.
    this.inviteWrap = h('span', { class: 'visitor-invite-wrap' }, this.inviteButton);
    this.inviteNote = h('p', { class: 'muted visitor-invite-note', testid: 'visitor-invite-note' });
    this.leftLine = h('p', { class: 'visitor-detail-left', testid: 'visitor-detail-left', role: 'status', hidden: true });
    this.body = h('div', { class: 'visitor-detail-body' });
    this.el = h(
      'aside',
      { class: 'col visitor-detail', testid: 'visitor-detail', 'aria-labelledby': 'visitor-detail-name', hidden: true },
      h('div', { class: 'visitor-detail-head' }, this.back, h('div', { class: 'head-main' }, this.name, this.status), this.closeButton),
      h('div', { class: 'visitor-detail-actions' }, this.inviteWrap, this.inviteNote),
      this.leftLine,
      this.body,
    );
    this.el.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && !document.querySelector('dialog[open]')) {
        ev.preventDefault();
        actions.close();
      }
    });
  }

  // render takes the VisitorsArea: its detail is {id, visitor, data, loading,
  // error, left}; the live model has the freshest visitor.
  render(ctx) {
    const d = ctx.detail;
    this.el.hidden = !d;
    if (!d) {
      this.id = null;
      this.v = null;
      return;
    }
    this.id = d.id;
    this.el.dataset.id = d.id;
    const live = ctx.model.get(d.id);
    const v = live || d.visitor || d.data?.visitor || { id: d.id };
    this.v = v;
    const gone = !live && (d.left || ctx.model.loaded);
    const offline = gone || v.online === false;
    const mark = ctx.model.marks.get(d.id);
    const me = ctx.app.state.me.id;

    this.name.textContent = visitorTitle(v);
    this.status.textContent = gone ? 'Not on the website now' : offline ? 'Offline: no page open (may come back)' : 'On the website now';
    this.el.classList.toggle('is-offline', offline);

    let reason = '';
    if (gone) reason = 'This visitor is no longer on the website.';
    else if (offline) reason = 'The visitor has no page of the website open right now.';
    else if (v.chat) reason = 'The visitor is already in a chat.';
    this.inviteButton.disabled = !!reason;
    this.inviteWrap.title = reason;
    this.inviteButton.title = reason;
    // Once the visitor left, the line below says so.
    let note = d.left && !live ? '' : reason;
    if (!reason && mark === 'invited') note = 'Invitation sent: waiting for an answer.';
    if (!reason && mark === 'declined') note = 'Declined the last invitation.';
    this.inviteNote.textContent = note;
    this.inviteNote.hidden = !note;

    this.leftLine.hidden = !(d.left && !live);
    this.leftLine.textContent = 'Visitor left: this visitor closed the website a minute ago.';

    const data = d.data;
    const sh = this.shown;
    if (sh?.v === v && sh.data === data && sh.loading === d.loading && sh.error === d.error && sh.mark === mark && sh.gone === gone) return;
    this.shown = { v, data, loading: d.loading, error: d.error, mark, gone };
    // The clocks stop when the visitor is gone: there is no page to be on.
    this.gone = gone;
    // A live update rebuilds the body; the link that had the focus gets it back.
    const focused = this.body.contains(document.activeElement) ? document.activeElement : null;
    const again = focused?.dataset.conversationId
      ? `[data-conversation-id="${CSS.escape(focused.dataset.conversationId)}"]`
      : focused?.classList.contains('visitor-open-chat')
        ? '.visitor-open-chat'
        : '';
    this.body.replaceChildren();
    append(this.body, [this.build(v, d, gone ? '' : mark, me, ctx)]);
    if (again) this.body.querySelector(again)?.focus();
    this.tick();
  }

  build(v, d, mark, me, ctx) {
    const times = { page: h('span', {}), site: h('span', {}) };
    this.times = times;
    const [srcKind, srcDetail] = source(v);
    const [browser, os] = device(v);
    const state = chatState(v, mark, me);
    const fact = (field, label, value) => (value ? [h('dt', {}, label), h('dd', { dataset: { field } }, value)] : null);
    const page = v.page;
    const facts = h(
      'dl',
      { class: 'visitor-facts', testid: 'visitor-facts' },
      fact('email', 'E-mail', v.email),
      fact(
        'page',
        'Current page',
        page?.url ? externalLink(page.url, page.title || page.url, { class: 'visitor-detail-page' }) : page?.title || '',
      ),
      fact('time-on-page', 'Time on page', page?.since && !this.gone ? times.page : null),
      fact('time-on-site', 'Time on site', v.visit?.started_at && !this.gone ? times.site : null),
      fact('page-count', 'Pages this visit', v.visit?.page_count ? String(v.visit.page_count) : ''),
      fact('source', 'Source', [srcKind, srcDetail].filter(Boolean).join(' · ')),
      fact('referrer', 'Referrer', v.visit?.referrer ? externalLink(v.visit.referrer, v.visit.referrer) : ''),
      fact('device', 'Device', [browser, os].filter(Boolean).join(' · ')),
      fact('language', 'Language', v.visit?.language || ''),
      fact('location', 'Location', place(v)),
      fact('visits', 'Visits', plural(v.visits || 1, 'visit', 'visits')),
      fact('chats', 'Previous chats', plural(v.chats || 0, 'chat', 'chats')),
      fact('state', 'Chat', this.gone ? '' : state.text),
    );
    const chat = v.chat?.conversation_id
      ? h(
          'p',
          { class: 'visitor-detail-chat' },
          h(
            'a',
            {
              class: 'btn btn-small visitor-open-chat',
              testid: 'visitor-open-chat',
              href: new URL(`/console/c/${encodeURIComponent(v.chat.conversation_id)}`, location.href).href,
              onclick: (ev) => {
                if (plainClick(ev)) {
                  ev.preventDefault();
                  this.actions.openChat(v.chat.conversation_id);
                }
              },
            },
            'Open the chat',
          ),
        )
      : null;

    let more;
    if (!d.data) {
      more = d.error
        ? h(
            'p',
            { class: 'error visitor-detail-error', testid: 'visitor-detail-error' },
            `Could not load the visitor's history: ${d.error} `,
            h('button', { type: 'button', class: 'btn btn-small', onclick: () => this.actions.reloadDetail() }, 'Try again'),
          )
        : h('p', { class: 'loading' }, 'Loading…');
    } else {
      more = [this.pages(d.data.pages || []), this.conversations(d.data.conversations || [], v, ctx), this.invitations(d.data.invitations || [])];
    }
    return [chat, facts, more];
  }

  pages(pages) {
    return pagesSection(pages, 'visitor-detail-pages', 'visitor-detail-pages');
  }

  conversations(list, v, ctx) {
    const current = v.chat?.conversation_id;
    const earlier = list.filter((c) => c.id !== current);
    return h(
      'section',
      { class: 'visitor-section' },
      h('h3', {}, 'Earlier conversations'),
      earlier.length
        ? h(
            'ul',
            { class: 'earlier-list visitor-detail-conversations', testid: 'visitor-detail-conversations' },
            earlier.map((c) => {
              const path = c.status === 'closed' ? `/console/history/${encodeURIComponent(c.id)}` : `/console/c/${encodeURIComponent(c.id)}`;
              return h(
                'li',
                {},
                h(
                  'a',
                  {
                    class: 'earlier-item visitor-conversation',
                    dataset: { conversationId: c.id },
                    href: new URL(path, location.href).href,
                    onclick: (ev) => {
                      if (plainClick(ev)) {
                        ev.preventDefault();
                        this.actions.openConversation(c);
                      }
                    },
                  },
                  h(
                    'span',
                    { class: 'item-top' },
                    h('span', { class: 'item-name' }, `${dayLabel(c.created_at)} ${clock(c.created_at)}`),
                    h('span', { class: `pill pill-${c.status}` }, STATUS_LABEL[c.status] || c.status),
                  ),
                  c.owner?.name ? h('span', { class: 'item-owner' }, `With ${c.owner.name}`) : null,
                  h('span', { class: 'item-preview' }, lastMessagePreview(c, ctx.app.state.me.id) || 'No messages'),
                ),
              );
            }),
          )
        : h('p', { class: 'empty' }, 'None'),
    );
  }

  invitations(list) {
    const sorted = list.slice().sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
    return h(
      'section',
      { class: 'visitor-section' },
      h('h3', {}, 'Invitations'),
      sorted.length
        ? h(
            'ul',
            { class: 'visitor-detail-invitations', testid: 'visitor-detail-invitations' },
            sorted.map((inv) =>
              h(
                'li',
                { class: 'visitor-invitation', dataset: { invitationId: inv.id, status: inv.status } },
                h(
                  'span',
                  { class: 'item-top' },
                  h('span', { class: 'item-name' }, inv.kind === 'proactive' ? 'Proactive greeting' : `From ${inv.operator?.name || 'an operator'}`),
                  h('span', { class: `pill invitation-${inv.status}` }, INVITATION_LABEL[inv.status] || inv.status),
                ),
                inv.message ? h('span', { class: 'invitation-message' }, inv.message) : null,
                h('time', { class: 'muted', datetime: inv.created_at }, when(inv.created_at)),
              ),
            ),
          )
        : h('p', { class: 'empty' }, 'None'),
    );
  }

  tick(now = Date.now()) {
    if (!this.times || !this.v || this.gone) return;
    const page = duration(this.v.page?.since, now);
    const site = duration(this.v.visit?.started_at, now);
    if (this.times.page.textContent !== page) this.times.page.textContent = page;
    if (this.times.site.textContent !== site) this.times.site.textContent = site;
  }

  focus() {
    const target = getComputedStyle(this.back).display !== 'none' ? this.back : this.name;
    target.focus();
  }
}

// plainClick is a click that should stay in the console: not one that opens
// a new tab or window.
function plainClick(ev) {
  return ev.button === 0 && !ev.ctrlKey && !ev.metaKey && !ev.shiftKey && !ev.altKey;
}
