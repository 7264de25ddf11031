// Small building blocks shared by the team views: labelled fields, error
// lines, avatars and busy buttons.

import { h } from '../lib/dom.js';
import { photoSrc } from '../lib/team_api.js';

let seq = 0;

// field wraps an input with its label (and an optional hint) and links them.
export function field(label, input, hint) {
  const id = input.id || `f-${++seq}`;
  input.id = id;
  let hintEl = null;
  if (hint) {
    hintEl = h('span', { class: 'field-hint', id: `${id}-hint` }, hint);
    input.setAttribute('aria-describedby', hintEl.id);
  }
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hintEl);
}

export function checkbox(label, checked, testid) {
  const input = h('input', { type: 'checkbox', testid, checked: !!checked });
  return { input, el: h('label', { class: 'check' }, input, h('span', {}, label)) };
}

export function errorLine() {
  return h('p', { class: 'form-error', role: 'alert', 'aria-live': 'assertive' });
}

// showError puts a request's error in line and moves the focus to the field
// the server named, when the form has it.
export function showError(line, err, fields = {}) {
  line.textContent = err.message || 'Something went wrong.';
  const at = err.body?.error?.field && fields[err.body.error.field];
  if (at) at.focus();
}

// InlineForm shows an add/edit form in a panel in place of its Add button;
// Escape, Cancel and a save put the button back.
export class InlineForm {
  constructor(addButton) {
    this.addButton = addButton;
    this.slot = h('div');
  }

  open(form, first) {
    form.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') {
        ev.preventDefault();
        ev.stopPropagation();
        this.close();
      }
    });
    this.addButton.hidden = true;
    this.slot.replaceChildren(form);
    first.focus();
  }

  close() {
    this.slot.replaceChildren();
    this.addButton.hidden = false;
    this.addButton.focus();
  }
}

// busy disables a button while a request runs and returns the undo.
export function busy(button, text) {
  const before = button.textContent;
  button.disabled = true;
  if (text) button.textContent = text;
  return () => {
    button.disabled = false;
    button.textContent = before;
  };
}

// avatar shows a photo, or the first letter of the name when there is none
// or it does not load.
export function avatar(person, size = 32) {
  const initial = (person?.name || '?').trim().charAt(0).toUpperCase() || '?';
  const el = h('span', { class: 'avatar', 'aria-hidden': 'true', style: `--size:${size}px` }, initial);
  const src = photoSrc(person?.photo_url);
  if (src) {
    const img = h('img', { alt: '', src, width: size, height: size });
    img.addEventListener('error', () => img.remove());
    el.append(img);
  }
  return el;
}

// statusLabel is how an operator's live status reads in lists.
export const statusLabel = { online: 'Online', away: 'Away', offline: 'Offline' };
