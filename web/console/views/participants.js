// Under the chat header: who takes part in the open chat, the Transfer,
// Invite and Leave buttons, and the note a colleague left with a transfer.

import { h, setIfChanged } from '../lib/dom.js';

export class ParticipantsBar {
  // actions: transfer(id), invite(id), leave(id), dismissNote(id)
  constructor(actions) {
    this.actions = actions;
    this.el = h('div', { class: 'participants-bar', testid: 'participants-bar' });
    this.note = h('div', { class: 'transfer-note', testid: 'transfer-note', role: 'status' });
  }

  // render shows conv (null hides the bar). team holds busy flags and notes.
  render(state, conv, team) {
    // Closed chats have nobody in them any more; the header says who answered.
    const visible = !!conv && conv.status === 'active';
    this.el.hidden = !visible;
    if (!visible) {
      this.note.hidden = true;
      return;
    }
    const me = state.me;
    const people = conv.participants || [];
    const mine = people.some((p) => p.id === me.id) || conv.owner_id === me.id;
    const admin = me.role === 'admin';
    const active = conv.status === 'active';
    const busy = team.busy.get(conv.id) || '';
    const sig = JSON.stringify([conv.id, conv.status, conv.owner_id, people.map((p) => [p.id, p.name]), me.id, busy, admin]);
    setIfChanged(this.el, sig, () => {
      const chips = people.map((p) =>
        h(
          'li',
          { class: `participant${p.id === conv.owner_id ? ' is-owner' : ''}`, testid: 'participant', dataset: { operatorId: p.id } },
          p.id === me.id ? 'You' : p.name || 'Operator',
          p.id === conv.owner_id ? h('span', { class: 'participant-role' }, 'owner') : null,
        ),
      );
      const buttons = [];
      if (active && (conv.owner_id === me.id || admin)) {
        buttons.push(button('transfer', busy === 'transfer' ? 'Transferring…' : 'Transfer', !!busy, () => this.actions.transfer(conv.id)));
      }
      if (active && (mine || admin)) {
        buttons.push(button('invite', busy === 'invite' ? 'Inviting…' : 'Invite', !!busy, () => this.actions.invite(conv.id)));
      }
      if (active && mine) {
        buttons.push(button('leave-chat', busy === 'leave' ? 'Leaving…' : 'Leave', !!busy, () => this.actions.leave(conv.id)));
      }
      return [
        h('span', { class: 'participants-label', id: 'participants-label' }, people.length ? 'In this chat:' : 'Nobody is in this chat'),
        people.length ? h('ul', { class: 'participants', testid: 'participants', 'aria-labelledby': 'participants-label' }, chips) : null,
        buttons.length ? h('div', { class: 'participants-actions' }, buttons) : null,
      ];
    });

    const n = team.notes.get(conv.id);
    const show = !!n && conv.owner_id === me.id && active;
    this.note.hidden = !show;
    setIfChanged(this.note, show ? JSON.stringify([conv.id, n.id]) : '', () =>
      show
        ? [
            h('span', { class: 'transfer-note-from' }, `Note from ${n.from || 'a colleague'}:`),
            h('span', { class: 'transfer-note-text', testid: 'transfer-note-text' }, n.note),
            h('button', { type: 'button', class: 'btn btn-small', 'aria-label': 'Dismiss the note', onclick: () => this.actions.dismissNote(conv.id) }, 'Dismiss'),
          ]
        : [],
    );
  }
}

function button(testid, label, disabled, onclick) {
  return h('button', { type: 'button', class: 'btn btn-small', testid, disabled, onclick }, label);
}
