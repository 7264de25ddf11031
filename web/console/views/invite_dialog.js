// "Invite to chat": the operator writes (or keeps) the message the visitor
// sees on the page with Accept and Decline. The dialog stays open on an error
// and shows the server's words.

import { h } from '../lib/dom.js';
import { codePoints, number } from '../lib/format.js';

export const DEFAULT_INVITATION = 'Hello! Can I help you?';
const MAX_MESSAGE = 1000; // code points, as the server counts

// inviteDialog resolves with send's answer once it succeeded, or null when
// the operator cancelled.
export function inviteDialog({ name, send }) {
  return new Promise((resolve) => {
    let result = null;
    const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
    const textarea = h('textarea', { class: 'textarea', name: 'message', rows: '4', testid: 'invite-message', 'aria-label': 'Message to the visitor' });
    textarea.value = DEFAULT_INVITATION;
    const counter = h('span', { class: 'counter', 'aria-live': 'polite' });
    const error = h('p', { class: 'form-error invite-error', testid: 'invite-error', role: 'alert' });
    const sendButton = h('button', { type: 'submit', class: 'btn btn-primary invite-send', testid: 'invite-send' }, 'Send invitation');
    const cancel = h('button', { type: 'button', class: 'btn invite-cancel', testid: 'invite-cancel', onclick: () => dialog.close() }, 'Cancel');
    const form = h(
      'form',
      { class: 'invite-form', novalidate: true },
      h('h2', { id: titleId }, `Invite ${name} to chat`),
      h('p', { class: 'muted' }, 'They see your name, photo and this message on the page they are on, and can accept or decline.'),
      textarea,
      h('div', { class: 'invite-foot' }, counter),
      error,
      h('div', { class: 'dialog-actions' }, cancel, sendButton),
    );
    const dialog = h('dialog', { class: 'dialog invite-dialog', testid: 'invite-dialog', 'aria-labelledby': titleId }, form);

    const update = () => {
      const n = codePoints(textarea.value.trim());
      counter.textContent = `${number(n)} / ${number(MAX_MESSAGE)}`;
      counter.classList.toggle('over', n > MAX_MESSAGE);
      sendButton.disabled = n === 0 || n > MAX_MESSAGE;
    };
    textarea.addEventListener('input', () => {
      error.textContent = '';
      update();
    });
    textarea.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const message = textarea.value.trim();
      const n = codePoints(message);
      if (!n || n > MAX_MESSAGE) {
        error.textContent = n ? `The message is too long: at most ${number(MAX_MESSAGE)} characters.` : 'Write a message.';
        textarea.focus();
        return;
      }
      sendButton.disabled = true;
      sendButton.textContent = 'Sending…';
      error.textContent = '';
      try {
        result = (await send(message)) || {};
        dialog.close();
      } catch (err) {
        if (err.status === 401) {
          dialog.close(); // the session is over; the console goes to the login screen
          return;
        }
        error.textContent = err.message || 'Could not send the invitation.';
        sendButton.textContent = 'Send invitation';
        update();
      }
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(result);
    });
    update();
    document.body.append(dialog);
    dialog.showModal();
    textarea.focus();
    textarea.select();
  });
}
