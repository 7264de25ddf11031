// The left column: waiting chats, my chats and (for admins) the other
// active chats.

import { h, reconcile, setIfChanged } from '../lib/dom.js';
import { age, lastMessagePreview, visitorName } from '../lib/format.js';
import { conversationPlace } from '../lib/portal_routing.js';

export class ListsView {
  // actions: select(id)
  constructor(actions) {
    this.actions = actions;
    this.el = h('nav', { class: 'col col-lists', 'aria-label': 'Chats' });
    this.waiting = this.section('Waiting', 'waiting-list', 'waiting-item', 'No chats waiting');
    this.mine = this.section('My chats', 'mine-list', 'mine-item', 'No active chats');
    this.others = this.section('Other active chats', 'others-list', 'others-item', 'No other active chats');
    this.status = h('p', { class: 'list-status', role: 'status' });
    this.retry = h('button', { type: 'button', class: 'btn btn-small', hidden: true, onclick: () => actions.reloadLists() }, 'Try again');
    this.el.append(this.status, this.retry, this.waiting.el, this.mine.el, this.others.el);
  }

  section(title, listId, itemId, emptyText) {
    const count = h('span', { class: 'count' });
    const list = h('ul', { class: 'chat-list', testid: listId, 'aria-label': title });
    const empty = h('p', { class: 'empty' }, emptyText);
    const el = h('section', { class: 'list-section' }, h('h2', {}, title, ' ', count), list, empty);
    return { el, list, empty, count, itemId };
  }

  render(state) {
    const loading = !state.listsLoaded;
    this.status.textContent = state.listsError
      ? `Could not load the chats: ${state.listsError}`
      : loading
        ? 'Loading…'
        : '';
    this.status.classList.toggle('error', !!state.listsError);
    this.status.hidden = !this.status.textContent;
    this.retry.hidden = !state.listsError;

    this.fill(this.waiting, state.waiting(), state, loading, false);
    this.fill(this.mine, state.mine(), state, loading, true);
    this.others.el.hidden = !state.isAdmin();
    // Other operators' chats are not the admin's to read, so no unread counts.
    if (state.isAdmin()) this.fill(this.others, state.others(), state, loading, false);
  }

  fill(section, convs, state, loading, showUnread) {
    const now = Date.now();
    section.count.textContent = convs.length ? String(convs.length) : '';
    section.empty.hidden = loading || convs.length > 0;
    reconcile(
      section.list,
      convs.map((conv) => ({ key: conv.id, conv })),
      ({ conv }) => {
        const button = h('button', {
          type: 'button',
          class: 'chat-item',
          testid: section.itemId,
          dataset: { conversationId: conv.id },
          onclick: () => this.actions.select(conv.id),
        });
        return h('li', {}, button);
      },
      null,
    );
    // Refresh every item in place: the <button> stays, so a focused item
    // keeps the focus while its age or preview changes.
    convs.forEach((conv, i) => {
      const button = section.list.children[i].firstElementChild;
      this.fillItem(button, conv, state, now, showUnread);
    });
  }

  fillItem(button, conv, state, now, showUnread) {
    const selected = conv.id === state.selectedId;
    const fresh = state.fresh.has(conv.id);
    const unread = showUnread && !selected ? state.unread(conv) : 0;
    // Only presence frames say whether a visitor is online; until one came,
    // no dot rather than a wrong one.
    const online = state.presence.has(conv.visitor_id) ? state.presence.get(conv.visitor_id) : null;
    button.classList.toggle('is-selected', selected);
    button.classList.toggle('is-new', fresh);
    if (selected) button.setAttribute('aria-current', 'true');
    else button.removeAttribute('aria-current');

    const name = visitorName(conv);
    const since = conv.status === 'waiting' ? conv.created_at : conv.last_message?.created_at || conv.created_at;
    const when = age(since, now);
    const listing = [conversationPlace(conv, state.me), conv.listing?.title].filter(Boolean).join(' · ');
    const text = lastMessagePreview(conv, state.me.id);
    const owner = conv.status === 'active' && !state.isMine(conv) ? conv.owner?.name || '' : '';
    // The label read out by screen readers carries the same facts as the item.
    button.setAttribute(
      'aria-label',
      [name, fresh ? 'new' : '', unread ? `${unread} unread` : '', listing, text, when ? `${when} ago`.replace('now ago', 'just now') : '']
        .filter(Boolean)
        .join(', '),
    );
    setIfChanged(button, JSON.stringify([name, when, listing, text, unread, fresh, owner, online]), () => [
      h(
        'span',
        { class: 'item-top' },
        online === null ? null : h('span', { class: `dot ${online ? 'dot-on' : 'dot-off'}`, title: online ? 'Online' : 'Offline' }),
        h('span', { class: 'item-name' }, name),
        fresh ? h('span', { class: 'pill pill-new' }, 'New') : null,
        h('span', { class: 'item-age' }, when),
      ),
      listing ? h('span', { class: 'item-listing' }, listing) : null,
      owner ? h('span', { class: 'item-owner' }, `With ${owner}`) : null,
      h(
        'span',
        { class: 'item-bottom' },
        h('span', { class: 'item-preview' }, text || '\u00a0'),
        unread ? h('span', { class: 'badge', testid: 'unread' }, unread > 99 ? '99+' : String(unread)) : null,
      ),
    ]);
  }

  // focusItem puts the keyboard focus on a chat's list item.
  focusItem(id) {
    const el = this.el.querySelector(`[data-conversation-id="${CSS.escape(id)}"]`);
    if (el) el.focus();
  }
}
