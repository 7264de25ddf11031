// The Colleagues area: rooms with unread badges on the left, the open room
// (messages, composer, members) on the right. On a phone one at a time.

import { h, linkify, reconcile, setIfChanged } from '../lib/dom.js';
import { age, clock, codePoints, dayKey, dayLabel, MAX_BODY, number } from '../lib/format.js';

export class ColleaguesView {
  // actions: open(id), back(), newDirect(), newGroup(), send(id, body),
  // retry(id, cmid), reload(), reloadRoom(id), toggleMembers(), addMember(id),
  // removeMember(id, operatorId), makeAdmin(id, operatorId, admin), leave(id)
  constructor(actions) {
    this.actions = actions;
    this.shownId = null;

    this.status = h('p', { class: 'list-status', role: 'status' });
    this.retry = h('button', { type: 'button', class: 'btn btn-small', hidden: true, onclick: () => actions.reload() }, 'Try again');
    this.list = h('ul', { class: 'chat-list', testid: 'room-list', 'aria-label': 'Rooms' });
    this.empty = h('p', { class: 'empty' }, 'No conversations with colleagues yet. Start one with a colleague, or a group.');
    this.side = h(
      'nav',
      { class: 'col rooms-side', 'aria-label': 'Colleague rooms' },
      h(
        'div',
        { class: 'rooms-tools' },
        h('button', { type: 'button', class: 'btn btn-small btn-primary', testid: 'new-direct', onclick: () => actions.newDirect() }, 'Message a colleague'),
        h('button', { type: 'button', class: 'btn btn-small', testid: 'new-group', onclick: () => actions.newGroup() }, 'New group'),
      ),
      this.status,
      this.retry,
      this.list,
      this.empty,
    );

    this.placeholder = h('div', { class: 'chat-empty' }, h('p', {}, 'Pick a room on the left'));
    this.head = h('header', { class: 'chat-head room-head' });
    this.members = h('section', { class: 'room-members', testid: 'room-members', 'aria-label': 'Members' });
    this.logStatus = h('div', { class: 'log-status' });
    this.log = h('div', { class: 'messages', role: 'log', 'aria-label': 'Room messages', tabindex: '0', testid: 'room-log' });
    this.composer = this.buildComposer();
    this.pane = h('div', { class: 'chat-pane' }, this.head, this.members, this.logStatus, this.log, this.composer.form);
    this.main = h('main', { class: 'col col-chat room-main', 'aria-label': 'Room' }, this.placeholder, this.pane);
    this.el = h('section', { class: 'area area-colleagues', testid: 'colleagues', 'aria-label': 'Colleagues' }, this.side, this.main);
  }

  buildComposer() {
    const textarea = h('textarea', { class: 'composer-input', rows: '2', testid: 'room-composer', 'aria-label': 'Message to the room', placeholder: 'Write to your colleagues…' });
    const counter = h('span', { class: 'counter', 'aria-live': 'polite' });
    const send = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'room-send' }, 'Send');
    const form = h('form', { class: 'composer' }, textarea, h('div', { class: 'composer-foot' }, h('span', { class: 'composer-hint' }, 'Enter to send · Shift+Enter for a new line'), counter, send));
    const update = () => {
      const n = codePoints(textarea.value);
      counter.textContent = `${number(n)} / ${number(MAX_BODY)}`;
      counter.classList.toggle('over', n > MAX_BODY);
      send.disabled = !textarea.value.trim() || n > MAX_BODY;
    };
    textarea.addEventListener('input', update);
    textarea.addEventListener('keydown', (ev) => {
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
      update();
      this.scrollToEnd = true;
      textarea.focus();
    });
    update();
    return { form, textarea, update };
  }

  render(rooms, visible) {
    this.el.hidden = !visible;
    if (!visible) return;
    this.el.dataset.view = rooms.selectedId ? 'room' : 'list';
    this.renderList(rooms);
    this.renderRoom(rooms);
  }

  renderList(rooms) {
    const list = rooms.list();
    this.status.textContent = rooms.error ? `Could not load the rooms: ${rooms.error}` : !rooms.loaded ? 'Loading…' : '';
    this.status.classList.toggle('error', !!rooms.error);
    this.status.hidden = !this.status.textContent;
    this.retry.hidden = !rooms.error;
    this.empty.hidden = !rooms.loaded || list.length > 0;
    reconcile(
      this.list,
      list.map((room) => ({ key: room.id, room })),
      ({ room }) => h('li', {}, h('button', { type: 'button', class: 'chat-item', testid: 'room-item', dataset: { roomId: room.id }, onclick: () => this.actions.open(room.id) })),
    );
    const now = Date.now();
    list.forEach((room, i) => {
      const button = this.list.children[i].firstElementChild;
      const last = room.last_message;
      const unread = room.unread || 0;
      const title = rooms.title(room);
      const sig = JSON.stringify([title, room.kind, last?.seq, last?.body, unread, rooms.selectedId === room.id, age(last?.created_at || room.created_at, now)]);
      setIfChanged(button, sig, () => [
        h(
          'span',
          { class: 'item-top' },
          h('span', { class: 'item-name' }, title),
          h('span', { class: 'item-age' }, age(last?.created_at || room.created_at, now)),
        ),
        h(
          'span',
          { class: 'item-bottom' },
          h('span', { class: 'item-preview' }, last ? `${last.author?.id === rooms.meId ? 'You' : last.author?.name || 'Colleague'}: ${last.body}` : room.kind === 'group' ? `${room.members?.length || 0} members` : 'No messages yet'),
          unread ? h('span', { class: 'badge', testid: 'room-unread', 'aria-label': `${unread} unread` }, String(unread)) : null,
        ),
      ]);
      button.classList.toggle('is-selected', rooms.selectedId === room.id);
      if (rooms.selectedId === room.id) button.setAttribute('aria-current', 'true');
      else button.removeAttribute('aria-current');
    });
  }

  renderRoom(rooms) {
    const id = rooms.selectedId;
    const room = id ? rooms.rooms.get(id) : null;
    this.pane.hidden = !room;
    this.placeholder.hidden = !!room;
    if (id && !room) {
      setIfChanged(this.placeholder, rooms.selectedError || 'loading', () =>
        rooms.selectedError ? h('p', { class: 'error' }, rooms.selectedError) : h('p', { class: 'loading' }, rooms.loaded ? 'This room is not yours to see.' : 'Loading…'),
      );
      return;
    }
    if (!room) {
      setIfChanged(this.placeholder, 'none', () => h('p', {}, 'Pick a room on the left'));
      this.shownId = null;
      return;
    }
    if (this.shownId !== room.id) {
      this.shownId = room.id;
      this.log.replaceChildren();
      this.scrollToEnd = true;
      this.composer.textarea.value = '';
      this.composer.update();
    }
    this.renderHead(rooms, room);
    this.renderMembers(rooms, room);
    this.renderMessages(rooms, room);
  }

  renderHead(rooms, room) {
    const sig = JSON.stringify([room.id, rooms.title(room), room.kind, room.members?.length, rooms.membersOpen]);
    setIfChanged(this.head, sig, () => [
      h('button', { type: 'button', class: 'btn btn-icon rooms-back', 'aria-label': 'Back to the rooms', onclick: () => this.actions.back() }, '‹'),
      h(
        'div',
        { class: 'head-main' },
        h('h2', { class: 'head-name', testid: 'room-title' }, rooms.title(room)),
        h('p', { class: 'head-sub' }, room.kind === 'group' ? `Group · ${room.members?.length || 0} members` : 'Direct chat'),
      ),
      room.kind === 'group'
        ? h(
            'div',
            { class: 'head-actions' },
            h(
              'button',
              { type: 'button', class: 'btn btn-small', testid: 'room-members-toggle', 'aria-expanded': String(rooms.membersOpen), onclick: () => this.actions.toggleMembers() },
              rooms.membersOpen ? 'Hide members' : 'Members',
            ),
          )
        : null,
    ]);
  }

  renderMembers(rooms, room) {
    const show = room.kind === 'group' && rooms.membersOpen;
    this.members.hidden = !show;
    if (!show) return;
    const admin = rooms.isAdmin(room);
    const busy = rooms.busy.has(room.id);
    const sig = JSON.stringify([room.id, room.members, admin, busy]);
    setIfChanged(this.members, sig, () => [
      h(
        'ul',
        { class: 'member-list' },
        (room.members || []).map((m) =>
          h(
            'li',
            { class: 'member', testid: 'room-member', dataset: { operatorId: m.id } },
            h('span', { class: 'member-name' }, m.id === rooms.meId ? 'You' : m.name || 'Operator'),
            m.admin ? h('span', { class: 'pill' }, 'admin') : null,
            admin && m.id !== rooms.meId
              ? h(
                  'span',
                  { class: 'member-actions' },
                  h(
                    'button',
                    { type: 'button', class: 'btn btn-small', disabled: busy, testid: 'room-member-admin', onclick: () => this.actions.makeAdmin(room.id, m.id, !m.admin) },
                    m.admin ? 'Remove admin' : 'Make admin',
                  ),
                  h(
                    'button',
                    { type: 'button', class: 'btn btn-small', disabled: busy, testid: 'room-member-remove', 'aria-label': `Remove ${m.name || 'this member'} from the room`, onclick: () => this.actions.removeMember(room.id, m.id) },
                    'Remove',
                  ),
                )
              : null,
          ),
        ),
      ),
      h(
        'div',
        { class: 'member-tools' },
        admin ? h('button', { type: 'button', class: 'btn btn-small', disabled: busy, testid: 'room-add-member', onclick: () => this.actions.addMember(room.id) }, 'Add a colleague') : null,
        h('button', { type: 'button', class: 'btn btn-small', disabled: busy, testid: 'leave-room', onclick: () => this.actions.leave(room.id) }, 'Leave the group'),
      ),
    ]);
  }

  renderMessages(rooms, room) {
    const t = rooms.thread(room.id);
    const messages = rooms.ordered(room.id);
    const log = this.log;
    const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    let status = '';
    if (t.error) status = t.error;
    else if (!t.loaded && t.loading) status = 'Loading…';
    else if (t.loaded && !messages.length && !t.pending.size) status = 'No messages yet: say hello.';
    setIfChanged(this.logStatus, JSON.stringify([status, !!t.error]), () =>
      status
        ? [
            h('span', { class: t.error ? 'error' : 'loading' }, status),
            t.error ? h('button', { type: 'button', class: 'btn btn-small', onclick: () => this.actions.reloadRoom(room.id) }, 'Try again') : null,
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
    reconcile(log, items, (item) => this.renderItem(item, rooms, room));
    if (this.scrollToEnd || nearBottom) {
      log.scrollTop = log.scrollHeight;
      if (messages.length || t.loaded) this.scrollToEnd = false;
    }
  }

  renderItem(item, rooms, room) {
    if (item.day) return h('div', { class: 'day' }, h('span', {}, dayLabel(item.day)));
    if (item.pending) {
      const p = item.pending;
      const failed = p.state === 'failed';
      return h(
        'div',
        { class: `msg msg-own msg-pending${failed ? ' msg-failed' : ''}`, testid: 'room-message', dataset: { state: p.state } },
        h('div', { class: 'msg-meta' }, h('span', { class: 'msg-author' }, 'You')),
        h('div', { class: 'msg-body' }, p.body),
        h(
          'div',
          { class: 'msg-state' },
          h('span', {}, failed ? `Not sent: ${p.error}` : 'Sending…'),
          failed ? h('button', { type: 'button', class: 'btn btn-small', onclick: () => this.actions.retry(room.id, p.client_msg_id) }, 'Retry') : null,
        ),
      );
    }
    const m = item.message;
    const own = m.author?.id === rooms.meId;
    return h(
      'div',
      { class: `msg ${own ? 'msg-own' : 'msg-operator'}`, testid: 'room-message', dataset: { seq: m.seq, authorId: m.author?.id || '' } },
      h(
        'div',
        { class: 'msg-meta' },
        h('span', { class: 'msg-author' }, own ? 'You' : m.author?.name || 'Colleague'),
        h('time', { datetime: m.created_at, title: new Date(m.created_at).toLocaleString() }, clock(m.created_at)),
      ),
      h('div', { class: 'msg-body' }, linkify(String(m.body ?? ''))),
    );
  }

  focusComposer() {
    this.composer.textarea.focus();
  }
}
