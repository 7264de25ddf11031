// The area switch in the top bar: the chats, colleague rooms (with the
// unread count) and the chat history.

import { h } from '../lib/dom.js';

const AREAS = [
  ['chats', 'Chats'],
  ['colleagues', 'Colleagues'],
  ['history', 'History'],
];

export class AreaNav {
  // go(area) switches.
  constructor(go) {
    this.badge = h('span', { class: 'badge', testid: 'colleagues-unread', hidden: true });
    this.buttons = new Map();
    for (const [area, label] of AREAS) {
      const b = h('button', { type: 'button', class: 'btn btn-quiet area-tab', testid: `area-${area}`, onclick: () => go(area) }, label);
      if (area === 'colleagues') b.append(this.badge);
      this.buttons.set(area, b);
    }
    this.el = h('nav', { class: 'areas', 'aria-label': 'Areas' }, [...this.buttons.values()]);
  }

  render(area, unread) {
    for (const [name, b] of this.buttons) {
      b.classList.toggle('is-current', name === area);
      if (name === area) b.setAttribute('aria-current', 'page');
      else b.removeAttribute('aria-current');
    }
    this.badge.hidden = !unread;
    this.badge.textContent = unread ? String(unread) : '';
    this.badge.setAttribute('aria-label', `${unread} unread`);
  }
}
