// The middle column: the open conversation, its messages and the composer.

import { externalLink, h, linkify, reconcile, setIfChanged } from '../lib/dom.js';
import { clock, codePoints, dayKey, dayLabel, MAX_BODY, number, STATUS_LABEL, visitorName } from '../lib/format.js';
import { conversationPlace } from '../lib/portal_routing.js';

const NEAR_BOTTOM_PX = 80;

export class ChatView {
  // actions: claim(id), closeChat(id), send(id, body), retry(id, cmid),
  // discard(id, cmid), typing(id, text), showView(view), back(), reloadThread(id),
  // returnToChat()
  constructor(actions) {
    this.actions = actions;
    this.shownId = null;

    this.empty = h('div', { class: 'chat-empty' }, h('p', {}, 'Pick a chat on the left'));
    this.placeholder = h('div', { class: 'chat-empty' });
    this.head = h('header', { class: 'chat-head' });
    this.notice = h('div', { class: 'notice', role: 'status' });
    this.log = h('div', { class: 'messages', role: 'log', 'aria-label': 'Messages', tabindex: '0' });
    this.logStatus = h('div', { class: 'log-status' });
    this.typing = h('p', { class: 'typing', 'aria-live': 'polite' });
    this.note = h('p', { class: 'composer-note' });
    this.composer = this.buildComposer();
    this.pane = h(
      'div',
      { class: 'chat-pane' },
      this.head,
      this.notice,
      this.logStatus,
      this.log,
      this.typing,
      this.note,
      this.composer.form,
    );
    this.el = h('main', { class: 'col col-chat', 'aria-label': 'Conversation' }, this.empty, this.placeholder, this.pane);
  }

  buildComposer() {
    const textarea = h('textarea', {
      class: 'composer-input',
      rows: '2',
      testid: 'composer',
      'aria-label': 'Message',
      placeholder: 'Write a message…',
      autocomplete: 'off',
    });
    const counter = h('span', { class: 'counter', 'aria-live': 'polite' });
    const send = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'send' }, 'Send');
    const hint = h('span', { class: 'composer-hint' }, 'Enter to send · Shift+Enter for a new line');
    const form = h(
      'form',
      { class: 'composer' },
      textarea,
      h('div', { class: 'composer-foot' }, hint, counter, send),
    );
    const c = { form, textarea, counter, send };

    textarea.addEventListener('input', () => {
      this.updateComposer();
      if (this.shownId) this.actions.typing(this.shownId, textarea.value);
    });
    textarea.addEventListener('keydown', (ev) => {
      // isComposing: Enter that confirms an IME candidate must not send.
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.altKey && !ev.isComposing && ev.keyCode !== 229) {
        ev.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const body = textarea.value;
      if (!this.shownId || !body.trim() || codePoints(body) > MAX_BODY) return;
      this.actions.send(this.shownId, body);
      textarea.value = '';
      this.updateComposer();
      this.scrollToEnd = true;
      textarea.focus();
    });
    return c;
  }

  updateComposer() {
    const { textarea, counter, send } = this.composer;
    const n = codePoints(textarea.value);
    counter.textContent = `${number(n)} / ${number(MAX_BODY)}`;
    counter.classList.toggle('over', n > MAX_BODY);
    counter.classList.toggle('near', n > MAX_BODY * 0.9 && n <= MAX_BODY);
    counter.title = n > MAX_BODY ? `Too long by ${number(n - MAX_BODY)} characters` : '';
    send.disabled = !textarea.value.trim() || n > MAX_BODY;
    this.resize();
  }

  // resize grows the textarea with its text, up to about eight lines. A
  // hidden textarea has no height to measure; render() calls again later.
  resize() {
    const { textarea } = this.composer;
    if (!textarea.value || !textarea.offsetParent) {
      textarea.style.height = '';
      this.needsResize = !!textarea.value;
      return;
    }
    textarea.style.height = 'auto';
    textarea.style.height = `${Math.min(textarea.scrollHeight + 2, 200)}px`;
    this.needsResize = false;
  }

  render(state) {
    const id = state.selectedId;
    const conv = id ? state.conversations.get(id) : null;
    this.empty.hidden = !!id;
    this.placeholder.hidden = !id || !!conv;
    this.pane.hidden = !conv;
    if (!id) {
      this.switchTo(null, state);
      return;
    }
    if (!conv) {
      setIfChanged(this.placeholder, state.selectedError || 'loading', () =>
        state.selectedError ? h('p', { class: 'error' }, state.selectedError) : h('p', { class: 'loading' }, 'Loading…'),
      );
      return;
    }
    this.switchTo(id, state);
    this.renderHead(conv, state);
    this.renderNotice(conv, state);
    this.renderMessages(conv, state);
    this.typing.textContent = state.typingLabel(id);

    const writable = state.canWrite(conv);
    this.composer.form.hidden = !writable;
    this.note.hidden = writable;
    this.note.textContent = writable ? '' : composerNote(conv, state);
    if (writable && this.needsResize) this.resize();
  }

  // switchTo saves the draft of the chat being left and loads the next one's.
  switchTo(id, state) {
    if (id === this.shownId) return;
    const { textarea } = this.composer;
    if (this.shownId) {
      if (textarea.value) state.drafts.set(this.shownId, textarea.value);
      else state.drafts.delete(this.shownId);
    }
    this.shownId = id;
    textarea.value = (id && state.drafts.get(id)) || '';
    this.log.replaceChildren();
    this.scrollToEnd = true;
    this.updateComposer();
  }

  renderHead(conv, state) {
    const owner = conv.owner?.name || (conv.owner_id === state.me.id ? state.me.name : '');
    const sig = JSON.stringify([
      conv.id,
      visitorName(conv),
      conv.visitor?.email,
      conv.listing,
      conversationPlace(conv, state.me),
      conv.status,
      owner,
      state.claiming.has(conv.id),
      state.closing.has(conv.id),
      state.canWrite(conv),
      conv.owner_id === state.me.id,
      state.mayTake(conv),
    ]);
    setIfChanged(this.head, sig, () => {
      const name = visitorName(conv);
      const email = conv.visitor?.email && conv.visitor.email !== name ? conv.visitor.email : '';
      const listing = conv.listing;
      const actions = [];
      if (conv.status === 'waiting' && state.mayTake(conv)) {
        const claiming = state.claiming.has(conv.id);
        actions.push(
          h(
            'button',
            { type: 'button', class: 'btn btn-primary', testid: 'claim', disabled: claiming, onclick: () => this.actions.claim(conv.id) },
            claiming ? 'Claiming…' : 'Claim',
          ),
        );
      }
      if (conv.status === 'active' && conv.owner_id === state.me.id) {
        const closing = state.closing.has(conv.id);
        actions.push(
          h(
            'button',
            { type: 'button', class: 'btn', testid: 'close-chat', disabled: closing, onclick: () => this.actions.closeChat(conv.id) },
            closing ? 'Closing…' : 'Close chat',
          ),
        );
      }
      actions.push(
        h(
          'button',
          { type: 'button', class: 'btn not-wide', testid: 'show-visitor', 'aria-label': 'Visitor details', onclick: () => this.actions.showView('visitor') },
          'Visitor',
        ),
      );
      return [
        h('button', { type: 'button', class: 'btn btn-icon phone-only', 'aria-label': 'Back to the chat list', onclick: () => this.actions.back() }, '‹'),
        h(
          'div',
          { class: 'head-main' },
          h('h2', { class: 'head-name' }, name),
          h(
            'p',
            { class: 'head-sub' },
            email ? h('span', {}, email) : null,
            conversationPlace(conv, state.me) ? h('span', { class: 'head-advertiser', testid: 'head-advertiser' }, conversationPlace(conv, state.me)) : null,
            listing ? h('span', { class: 'head-listing', testid: 'head-listing' }, externalLink(listing.url, listing.title || listing.url || `Listing ${listing.id}`)) : null,
          ),
          h(
            'p',
            { class: 'head-meta' },
            h('span', { class: `pill pill-${conv.status}` }, STATUS_LABEL[conv.status] || conv.status),
            owner ? h('span', {}, conv.owner_id === state.me.id ? 'Yours' : `Owner: ${owner}`) : null,
          ),
        ),
        h('div', { class: 'head-actions' }, actions),
      ];
    });
  }

  renderNotice(conv, state) {
    const text = state.notices.get(conv.id) || '';
    const back = state.returnTo && state.returnTo !== conv.id && state.conversations.has(state.returnTo);
    setIfChanged(this.notice, JSON.stringify([text, back]), () => [
      text ? h('span', {}, text) : null,
      back && !text ? h('span', {}, 'An earlier conversation with this visitor.') : null,
      back ? h('button', { type: 'button', class: 'btn btn-small', onclick: () => this.actions.returnToChat() }, 'Back to the current chat') : null,
    ]);
    this.notice.hidden = !text && !back;
  }

  renderMessages(conv, state) {
    const t = state.thread(conv.id);
    const messages = state.orderedMessages(conv.id);
    const log = this.log;
    const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < NEAR_BOTTOM_PX;

    let status = '';
    if (t.error) status = t.error;
    else if (!t.loaded && t.loading) status = 'Loading…';
    else if (t.loaded && !messages.length && !t.pending.size) status = 'No messages yet';
    setIfChanged(this.logStatus, JSON.stringify([status, !!t.error]), () =>
      status
        ? [
            h('span', { class: t.error ? 'error' : 'loading' }, status),
            t.error ? h('button', { type: 'button', class: 'btn btn-small', onclick: () => this.actions.reloadThread(conv.id) }, 'Try again') : null,
          ]
        : [],
    );
    this.logStatus.hidden = !status;

    const items = [];
    let day = '';
    for (const m of messages) {
      const d = dayKey(m.created_at);
      if (d && d !== day) {
        day = d;
        items.push({ key: `d:${d}`, day: m.created_at });
      }
      items.push({ key: `s:${m.seq}`, message: m });
    }
    for (const p of t.pending.values()) items.push({ key: `p:${p.client_msg_id}:${p.state}`, pending: p });

    reconcile(log, items, (item) => this.renderItem(item, conv, state));

    if (this.scrollToEnd || nearBottom) {
      log.scrollTop = log.scrollHeight;
      if (messages.length || t.loaded) this.scrollToEnd = false;
    }
  }

  renderItem(item, conv, state) {
    if (item.day) return h('div', { class: 'day' }, h('span', {}, dayLabel(item.day)));
    if (item.pending) return this.renderPending(item.pending, conv, state);
    const m = item.message;
    const type = m.author?.type || 'system';
    const own = state.isOwn(m);
    const cls = own ? 'msg-own' : `msg-${type}`;
    const author = type === 'system' ? '' : own ? 'You' : m.author?.name || (type === 'visitor' ? visitorName(conv) : 'Operator');
    return h(
      'div',
      { class: `msg ${cls}`, testid: 'message', dataset: { seq: m.seq, authorType: type } },
      h(
        'div',
        { class: 'msg-meta' },
        author ? h('span', { class: 'msg-author' }, author) : null,
        h('time', { datetime: m.created_at, title: new Date(m.created_at).toLocaleString() }, clock(m.created_at)),
      ),
      h('div', { class: 'msg-body' }, linkify(String(m.body ?? ''))),
    );
  }

  renderPending(p, conv) {
    const failed = p.state === 'failed';
    return h(
      'div',
      { class: `msg msg-own msg-pending${failed ? ' msg-failed' : ''}`, testid: 'message', dataset: { authorType: 'operator', state: p.state } },
      h('div', { class: 'msg-meta' }, h('span', { class: 'msg-author' }, 'You')),
      h('div', { class: 'msg-body' }, p.body),
      h(
        'div',
        { class: 'msg-state' },
        failed ? h('span', {}, `Not sent: ${p.error}`) : h('span', {}, 'Sending…'),
        failed && p.retriable
          ? h('button', { type: 'button', class: 'btn btn-small', onclick: () => this.actions.retry(conv.id, p.client_msg_id) }, 'Retry')
          : null,
        failed
          ? h('button', { type: 'button', class: 'btn btn-small', onclick: () => this.actions.discard(conv.id, p.client_msg_id) }, 'Edit')
          : null,
      ),
    );
  }

  // editText puts a message that could not be sent back into the composer.
  editText(text) {
    const { textarea } = this.composer;
    textarea.value = textarea.value ? `${text}\n${textarea.value}` : text;
    this.updateComposer();
    textarea.focus();
  }

  focusComposer() {
    if (!this.composer.form.hidden) this.composer.textarea.focus();
  }

  composerFocused() {
    return document.activeElement === this.composer.textarea;
  }
}

function composerNote(conv, state) {
  if (conv.status === 'waiting') return state.mayTake(conv) ? 'Claim this chat to reply.' : 'A routing rule gave this chat to other operators.';
  if (conv.status === 'closed') return 'This chat is closed.';
  const owner = conv.owner?.name;
  return owner ? `${owner} is handling this chat.` : 'Another operator is handling this chat.';
}
