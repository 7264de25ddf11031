// The area switch in the top bar: the chats, the visitors on the website
// (with how many are online), colleague rooms (with the unread count) and
// the chat history.

import { h } from '../lib/dom.js';
import { number } from '../lib/format.js';

const AREAS = [
  ['chats', 'Chats'],
  ['visitors', 'Visitors'],
  ['colleagues', 'Colleagues'],
  ['history', 'History'],
];

export class AreaNav {
  // go(area) switches.
  constructor(go) {
    this.badge = h('span', { class: 'badge', testid: 'colleagues-unread', hidden: true });
    // The count keeps its place while unknown, so the tabs after it do not move under the
    // pointer when it arrives.
    this.visitors = h('span', { class: 'area-count visitors-count is-unknown', testid: 'visitors-count', 'aria-hidden': 'true' }, '0');
    this.buttons = new Map();
    for (const [area, label] of AREAS) {
      const b = h(
        'button',
        { type: 'button', class: 'btn btn-quiet area-tab', testid: `area-${area}`, dataset: { area }, onclick: () => go(area) },
        h('span', { class: 'area-label' }, label),
      );
      if (area === 'colleagues') b.append(this.badge);
      if (area === 'visitors') b.append(this.visitors);
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

  // setCount shows how many visitors are online; null blanks the count (not
  // known yet).
  setCount(area, n) {
    if (area !== 'visitors') return;
    const unknown = n == null;
    this.visitors.classList.toggle('is-unknown', unknown);
    if (unknown) this.visitors.setAttribute('aria-hidden', 'true');
    else this.visitors.removeAttribute('aria-hidden');
    const text = unknown ? '0' : number(n);
    if (this.visitors.textContent !== text) {
      this.visitors.textContent = text;
      this.visitors.setAttribute('aria-label', `${text} online`);
    }
  }
}
