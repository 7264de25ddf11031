// Toasts and the confirmation dialog.

import { h } from '../lib/dom.js';

export class Toasts {
  constructor() {
    this.el = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
  }

  show(text, kind = 'info', ms = 6000) {
    const toast = h(
      'div',
      { class: `toast toast-${kind}`, testid: 'toast' },
      h('span', { class: 'toast-text' }, text),
      h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss', onclick: () => toast.remove() }, '×'),
    );
    this.el.append(toast);
    while (this.el.children.length > 4) this.el.firstElementChild.remove();
    setTimeout(() => toast.remove(), ms);
  }
}

// confirmDialog asks a yes/no question in a modal <dialog>; Escape and
// "Cancel" answer no. The safe answer has the focus.
export function confirmDialog({ title, text, confirm, danger = false }) {
  return new Promise((resolve) => {
    const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
    const dialog = h(
      'dialog',
      { class: 'dialog', 'aria-labelledby': titleId },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { id: titleId }, title),
        text ? h('p', {}, text) : null,
        h(
          'div',
          { class: 'dialog-actions' },
          h('button', { type: 'submit', value: 'cancel', class: 'btn', autofocus: true }, 'Cancel'),
          h('button', { type: 'submit', value: 'ok', class: danger ? 'btn btn-danger' : 'btn btn-primary', testid: 'confirm' }, confirm),
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
