// The right column: who the visitor is, where they are on the site and what
// they talked about before.

import { externalLink, h, setIfChanged } from '../lib/dom.js';
import { clock, dayLabel, lastMessagePreview, STATUS_LABEL, visitorLabel, when } from '../lib/format.js';
import { device, place, source } from '../lib/visitors.js';

export class VisitorView {
  // actions: openEarlier(conv), showView(view), reloadVisitor(visitorId)
  constructor(actions) {
    this.actions = actions;
    this.body = h('div', { class: 'visitor-body' });
    this.el = h(
      'aside',
      { class: 'col col-visitor', testid: 'visitor-panel', 'aria-label': 'Visitor' },
      h(
        'div',
        { class: 'visitor-head' },
        h('button', { type: 'button', class: 'btn btn-icon not-wide', 'aria-label': 'Back to the chat', onclick: () => actions.showView('chat') }, '‹'),
        h('h2', {}, 'Visitor'),
      ),
      this.body,
    );
  }

  render(state) {
    const conv = state.selectedId ? state.conversations.get(state.selectedId) : null;
    if (!conv || !conv.visitor_id) {
      setIfChanged(this.body, 'none', () => h('p', { class: 'empty' }, 'Details of the visitor appear here when a chat is open.'));
      return;
    }
    const entry = state.visitors.get(conv.visitor_id);
    if (!entry || (!entry.data && !entry.error)) {
      setIfChanged(this.body, 'loading', () => h('p', { class: 'loading' }, 'Loading…'));
      return;
    }
    if (!entry.data) {
      setIfChanged(this.body, `error:${entry.error}`, () => [
        h('p', { class: 'error' }, `Could not load the visitor: ${entry.error}`),
        h('button', { type: 'button', class: 'btn btn-small', onclick: () => this.actions.reloadVisitor(conv.visitor_id) }, 'Try again'),
      ]);
      return;
    }
    const { visitor, pages = [] } = entry.data;
    const online = state.visitorOnline(visitor.id, visitor.online);
    // What the console learnt live about a conversation is newer than the
    // visitor's answer (a chat closed a moment ago).
    const conversations = (entry.data.conversations || []).map((c) => ({ ...c, ...state.conversations.get(c.id) }));
    // Rebuilt only when what it shows changed, so that a refetch with the same
    // answer neither moves the focus nor swallows a click.
    // The Visitors area's live model knows the visitor when they are on the
    // website now: its page and visit are fresher than the answer.
    const live = state.liveVisitors?.get(visitor.id) || null;
    const sig = JSON.stringify([conv.id, visitor, pages, conversations.map((c) => [c.id, c.status, c.last_message]), online, live]);
    setIfChanged(this.body, sig, () => this.build(visitor, pages, conversations, online, conv, state, live));
  }

  build(visitor, pages, conversations, online, conv, state, live) {
    const name = visitorLabel(visitor);
    const page = live?.page?.url ? live.page : visitor.current_page || visitor.page;
    const visit = live?.visit ? live : visitor.visit ? visitor : null;
    const earlier = conversations.filter((c) => c.id !== conv.id);
    const facts = [];
    if (visitor.visits) facts.push(`${visitor.visits} ${visitor.visits === 1 ? 'visit' : 'visits'}`);
    if (visitor.created_at) facts.push(`first seen ${when(visitor.created_at)}`);
    if (!online && visitor.last_seen_at) facts.push(`last seen ${when(visitor.last_seen_at)}`);

    return [
      h(
        'div',
        { class: 'visitor-id' },
        h('p', { class: 'visitor-name' }, h('span', { class: `dot ${online ? 'dot-on' : 'dot-off'}`, 'aria-hidden': 'true' }), name),
        h('p', { class: 'visitor-status' }, online ? 'Online' : 'Offline'),
        visitor.email && visitor.email !== name ? h('p', { class: 'visitor-email' }, visitor.email) : null,
        facts.length ? h('p', { class: 'muted' }, facts.join(' · ')) : null,
      ),
      h(
        'section',
        { class: 'visitor-section', testid: 'visitor-current-page' },
        h('h3', {}, 'Current page'),
        page && page.url
          ? [
              h('p', { class: 'page-title' }, page.title || 'Untitled page'),
              h('p', { class: 'page-url' }, externalLink(page.url, page.url)),
            ]
          : h('p', { class: 'empty' }, online ? 'Unknown' : 'Not on the site now'),
      ),
      visit ? this.visit(visit) : null,
      pagesSection(pages, 'visitor-pages'),
      h(
        'section',
        { class: 'visitor-section' },
        h('h3', {}, 'Previous conversations'),
        earlier.length
          ? h(
              'ul',
              { class: 'earlier-list', testid: 'visitor-conversations' },
              earlier.map((c) =>
                h(
                  'li',
                  {},
                  h(
                    'button',
                    { type: 'button', class: 'earlier-item', dataset: { conversationId: c.id }, onclick: () => this.actions.openEarlier(c) },
                    h(
                      'span',
                      { class: 'item-top' },
                      h('span', { class: 'item-name' }, `${dayLabel(c.created_at)} ${clock(c.created_at)}`),
                      h('span', { class: `pill pill-${c.status}` }, STATUS_LABEL[c.status] || c.status),
                    ),
                    c.listing?.title ? h('span', { class: 'item-listing' }, c.listing.title) : null,
                    h('span', { class: 'item-preview' }, lastMessagePreview(c, state.me.id) || 'No messages'),
                  ),
                ),
              ),
            )
          : h('p', { class: 'empty', testid: 'visitor-conversations' }, 'None'),
      ),
    ];
  }

  // visit shows where the visitor came from and on what: source, device,
  // location and language.
  visit(v) {
    const [kind, detail] = source(v);
    const rows = [
      ['source', 'Source', [kind, detail].filter(Boolean).join(' · ')],
      ['device', 'Device', device(v).filter(Boolean).join(' · ')],
      ['location', 'Location', place(v)],
      ['language', 'Language', v.visit?.language || ''],
    ].filter(([, , value]) => value);
    if (!rows.length) return null;
    return h(
      'section',
      { class: 'visitor-section', testid: 'visitor-visit' },
      h('h3', {}, 'This visit'),
      h(
        'dl',
        { class: 'visitor-facts' },
        rows.map(([field, label, value]) => [h('dt', {}, label), h('dd', { dataset: { field } }, value)]),
      ),
    );
  }
}

// pagesSection lists the pages of this visit in the order they were seen, each with its
// address and time; extraClass marks the list for the view that shows it.
export function pagesSection(pages, testid, extraClass = '') {
  return h(
    'section',
    { class: 'visitor-section' },
    h('h3', {}, 'Pages this visit'),
    pages.length
      ? h(
          'ol',
          { class: `page-list ${extraClass}`.trim(), testid },
          pages.map((p) =>
            h(
              'li',
              {},
              h('span', { class: 'page-title' }, p.title || 'Untitled page'),
              h('span', { class: 'page-url' }, externalLink(p.url, p.url)),
              p.viewed_at ? h('time', { class: 'muted', datetime: p.viewed_at }, clock(p.viewed_at)) : null,
            ),
          ),
        )
      : h('p', { class: 'empty', testid }, 'No pages recorded'),
  );
}
