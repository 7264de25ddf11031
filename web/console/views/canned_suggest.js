// Canned response suggestions in the composer: typing "/" and a shortcut
// shows a list; ↑/↓ move, Enter or Tab insert, Escape dismisses.

import { cannedMatches, cannedTrigger } from '../lib/canned.js';
import { h } from '../lib/dom.js';
import { preview } from '../lib/format.js';

let seq = 0;

export class CannedSuggest {
  // getItems() returns the canned responses the operator may use.
  constructor(form, textarea, getItems) {
    this.form = form;
    this.textarea = textarea;
    this.getItems = getItems;
    this.items = [];
    this.active = 0;
    this.trigger = null;
    this.dismissedAt = -1; // Escape hides the list until another "/" is typed
    this.id = `canned-suggest-${++seq}`;
    this.list = h('ul', { class: 'canned-suggest', id: this.id, role: 'listbox', 'aria-label': 'Canned responses', testid: 'canned-suggestions', hidden: true });
    form.classList.add('has-canned');
    form.insertBefore(this.list, form.firstChild);
    textarea.setAttribute('aria-autocomplete', 'list');
    textarea.setAttribute('aria-controls', this.id);
    textarea.setAttribute('aria-expanded', 'false');

    textarea.addEventListener('input', () => this.update());
    textarea.addEventListener('click', () => this.update());
    textarea.addEventListener('keyup', (ev) => {
      if (['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(ev.key)) this.update();
    });
    textarea.addEventListener('blur', () => this.close());
    // Capture, so that Enter picks a suggestion before the composer sends.
    form.addEventListener('keydown', (ev) => this.onKey(ev), true);
    // Some input paths (remote control, some IMEs) still send the keypress of
    // an Enter whose keydown picked a suggestion: it must not add a new line.
    textarea.addEventListener('keypress', (ev) => {
      if (this.swallowEnter && ev.key === 'Enter') ev.preventDefault();
      this.swallowEnter = false;
    });
    textarea.addEventListener('keyup', () => (this.swallowEnter = false));
  }

  update() {
    const ta = this.textarea;
    const t = ta.selectionStart === ta.selectionEnd ? cannedTrigger(ta.value, ta.selectionStart) : null;
    if (!t || t.start === this.dismissedAt) {
      if (!t) this.dismissedAt = -1;
      this.close();
      return;
    }
    const items = cannedMatches(this.getItems(), t.query);
    if (!items.length) {
      this.close();
      return;
    }
    const same = this.trigger && this.trigger.start === t.start && this.items.length && items[0] === this.items[0];
    this.trigger = t;
    this.items = items;
    if (!same || this.active >= items.length) this.active = 0;
    this.render();
  }

  render() {
    this.list.replaceChildren(
      ...this.items.map((c, i) =>
        h(
          'li',
          {
            id: `${this.id}-${i}`,
            role: 'option',
            class: 'canned-option',
            testid: 'canned-option',
            dataset: { shortcut: c.shortcut },
            'aria-selected': String(i === this.active),
            onmousedown: (ev) => ev.preventDefault(), // keep the focus in the composer
            onclick: () => this.pick(i),
          },
          h('span', { class: 'canned-shortcut' }, `/${c.shortcut}`),
          c.title ? h('span', { class: 'canned-title' }, c.title) : null,
          c.scope === 'account' ? h('span', { class: 'pill' }, 'Team') : null,
          h('span', { class: 'canned-body' }, preview(c.body, 80)),
        ),
      ),
    );
    this.list.hidden = false;
    this.textarea.setAttribute('aria-expanded', 'true');
    this.textarea.setAttribute('aria-activedescendant', `${this.id}-${this.active}`);
    this.list.children[this.active]?.scrollIntoView({ block: 'nearest' });
  }

  close() {
    if (this.list.hidden) return;
    this.list.hidden = true;
    this.items = [];
    this.trigger = null;
    this.textarea.setAttribute('aria-expanded', 'false');
    this.textarea.removeAttribute('aria-activedescendant');
  }

  onKey(ev) {
    if (this.list.hidden || ev.target !== this.textarea || ev.isComposing) return;
    const n = this.items.length;
    switch (ev.key) {
      case 'ArrowDown':
        this.active = (this.active + 1) % n;
        break;
      case 'ArrowUp':
        this.active = (this.active - 1 + n) % n;
        break;
      case 'Enter':
      case 'Tab':
        if (ev.shiftKey || ev.altKey || ev.ctrlKey || ev.metaKey) return;
        ev.preventDefault();
        ev.stopPropagation();
        this.swallowEnter = ev.key === 'Enter';
        this.pick(this.active);
        return;
      case 'Escape':
        this.dismissedAt = this.trigger ? this.trigger.start : -1;
        this.close();
        break;
      default:
        return;
    }
    ev.preventDefault();
    ev.stopPropagation();
    if (!this.list.hidden) this.render();
  }

  // pick replaces "/shortcut" with the response's text and tells the composer.
  pick(i) {
    const c = this.items[i];
    const t = this.trigger;
    if (!c || !t) return;
    const ta = this.textarea;
    ta.value = ta.value.slice(0, t.start) + c.body + ta.value.slice(t.end);
    const caret = t.start + c.body.length;
    ta.setSelectionRange(caret, caret);
    this.close();
    ta.focus();
    ta.dispatchEvent(new Event('input', { bubbles: true }));
  }
}
