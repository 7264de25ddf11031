// A modal dialog to pick colleagues: one (transfer, invite, a direct chat)
// or several (a group room), with an optional note or room name.

import { collabApi } from '../lib/collab-api.js';
import { h } from '../lib/dom.js';
import { codePoints, number } from '../lib/format.js';

export const NOTE_MAX = 500;
const NAME_MAX = 100;
const STATUS_LABEL = { online: 'Online', away: 'Away', offline: 'Offline' };

// pickColleagues resolves to {ids, note, name} or, when cancelled, null.
// exclude lists operator ids not to offer (the caller is never offered).
export function pickColleagues({ title, text, confirm, meId, exclude = [], multiple = false, withNote = false, withName = false, testid = 'colleague-picker' }) {
  return new Promise((resolve) => {
    const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
    const status = h('p', { class: 'picker-status loading', role: 'status' }, 'Loading colleagues…');
    const retry = h('button', { type: 'button', class: 'btn btn-small', hidden: true, onclick: () => load() }, 'Try again');
    const list = h('div', { class: 'picker-list', role: multiple ? 'group' : 'radiogroup', 'aria-labelledby': titleId });
    const ok = h('button', { type: 'submit', value: 'ok', class: 'btn btn-primary', testid: 'picker-confirm', disabled: true }, confirm);

    const name = withName
      ? h('input', { type: 'text', id: `${titleId}-name`, class: 'picker-name', maxlength: String(NAME_MAX), testid: 'room-name-input', autocomplete: 'off' })
      : null;
    const note = withNote
      ? h('textarea', { id: `${titleId}-note`, class: 'picker-note', rows: '3', maxlength: String(NOTE_MAX), testid: 'transfer-note-input' })
      : null;
    const counter = withNote ? h('span', { class: 'counter', 'aria-live': 'polite' }, `0 / ${number(NOTE_MAX)}`) : null;

    const chosen = () => [...list.querySelectorAll('input:checked')].map((i) => i.value);
    const update = () => {
      const n = note ? codePoints(note.value) : 0;
      if (counter) {
        counter.textContent = `${number(n)} / ${number(NOTE_MAX)}`;
        counter.classList.toggle('over', n > NOTE_MAX);
      }
      ok.disabled = !chosen().length || n > NOTE_MAX || (withName && !name.value.trim());
    };
    list.addEventListener('change', update);
    if (note) note.addEventListener('input', update);
    if (name) name.addEventListener('input', update);

    const dialog = h(
      'dialog',
      { class: 'dialog picker', testid, 'aria-labelledby': titleId },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { id: titleId }, title),
        text ? h('p', { class: 'muted' }, text) : null,
        withName ? [h('label', { for: `${titleId}-name`, class: 'picker-label' }, 'Room name'), name] : null,
        h('div', { class: 'picker-status-row' }, status, retry),
        list,
        withNote
          ? [
              h('label', { for: `${titleId}-note`, class: 'picker-label' }, 'Note for your colleague (optional, not shown to the visitor)'),
              note,
              h('div', { class: 'picker-counter' }, counter),
            ]
          : null,
        h(
          'div',
          { class: 'dialog-actions' },
          // Not a submit button: Enter in the list must pick, not cancel.
          h('button', { type: 'button', class: 'btn', onclick: () => dialog.close('cancel') }, 'Cancel'),
          ok,
        ),
      ),
    );

    async function load() {
      status.hidden = false;
      status.className = 'picker-status loading';
      status.textContent = 'Loading colleagues…';
      retry.hidden = true;
      try {
        const res = await collabApi.colleagues();
        const people = (res?.operators || []).filter((o) => o.id !== meId && !exclude.includes(o.id));
        // Those who can answer now come first.
        const rank = { online: 0, away: 1 };
        people.sort((a, b) => (rank[a.status] ?? 2) - (rank[b.status] ?? 2) || String(a.name).localeCompare(String(b.name)));
        list.replaceChildren(...people.map((o) => option(o, multiple, titleId)));
        status.textContent = people.length ? '' : 'No colleague to choose: everyone is here already, or you are the only operator.';
        status.className = 'picker-status empty';
        status.hidden = !!people.length;
        const first = list.querySelector('input');
        if (first) first.focus();
      } catch (err) {
        if (!dialog.open) return;
        status.className = 'picker-status error';
        status.textContent = `Could not load your colleagues: ${err.message}`;
        retry.hidden = false;
      }
      update();
    }

    dialog.addEventListener('close', () => {
      const picked = dialog.returnValue === 'ok' ? { ids: chosen(), note: note ? note.value.trim() : '', name: name ? name.value.trim() : '' } : null;
      dialog.remove();
      resolve(picked && picked.ids.length ? picked : null);
    });
    document.body.append(dialog);
    dialog.showModal();
    load();
  });
}

function option(o, multiple, group) {
  const input = h('input', { type: multiple ? 'checkbox' : 'radio', name: `${group}-who`, value: o.id, testid: 'colleague-option' });
  const state = o.status || 'offline';
  return h(
    'label',
    { class: 'picker-item', dataset: { operatorId: o.id } },
    input,
    h('span', { class: `dot ${state === 'online' ? 'dot-on' : 'dot-off'}`, 'aria-hidden': 'true' }),
    h('span', { class: 'picker-who' }, o.name || o.email || 'Operator'),
    h('span', { class: 'muted' }, STATUS_LABEL[state] || state),
  );
}
