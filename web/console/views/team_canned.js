// Canned responses: the operator's own and, managed by admins, the account's.
// Typing "/" and a shortcut in the composer inserts them.

import { h } from '../lib/dom.js';
import { preview } from '../lib/format.js';
import { teamApi } from '../lib/team_api.js';
import { confirmDialog } from './overlays.js';
import { busy, errorLine, field, showError } from './team_form.js';

export class CannedPanel {
  // ctx: me(), isAdmin(), toast(text, kind), changed(list) after every change
  constructor(ctx) {
    this.ctx = ctx;
    this.items = [];
    this.loaded = false;
    this.editing = null; // null: no form; 'new' or a response's id
    this.status = h('p', { class: 'panel-status', role: 'status' });
    this.formSlot = h('div');
    this.addButton = h('button', { type: 'button', class: 'btn btn-primary btn-small', testid: 'add-canned', onclick: () => this.openForm('new') }, 'Add response');
    this.mine = h('ul', { class: 'team-list', testid: 'canned-personal', 'aria-label': 'Your canned responses' });
    this.shared = h('ul', { class: 'team-list', testid: 'canned-account', 'aria-label': 'Team canned responses' });
    this.mineEmpty = h('p', { class: 'empty' }, 'None yet.');
    this.sharedEmpty = h('p', { class: 'empty' }, 'None yet.');
    this.el = h(
      'section',
      { class: 'panel', 'aria-labelledby': 'canned-title' },
      h('div', { class: 'panel-head' }, h('h3', { id: 'canned-title' }, 'Canned responses'), this.addButton),
      h('p', { class: 'muted' }, 'In a chat, type / and the shortcut, then Enter or Tab to insert the text.'),
      this.formSlot,
      this.status,
      h('h4', {}, 'Yours'),
      this.mineEmpty,
      this.mine,
      h('h4', {}, 'Team (account-wide)'),
      this.sharedEmpty,
      this.shared,
    );
  }

  async load() {
    this.status.className = 'panel-status loading';
    this.status.textContent = 'Loading…';
    try {
      const { canned_responses: list } = await teamApi.canned();
      this.items = list || [];
      this.loaded = true;
      this.status.textContent = '';
      this.ctx.changed(this.items);
    } catch (err) {
      this.status.className = 'panel-status';
      this.status.replaceChildren(
        h('span', { class: 'error' }, `Could not load the canned responses: ${err.message}`),
        h('button', { type: 'button', class: 'btn btn-small', onclick: () => this.load() }, 'Try again'),
      );
    }
    this.render();
  }

  render() {
    const mine = this.items.filter((c) => c.scope === 'personal');
    const shared = this.items.filter((c) => c.scope === 'account');
    this.mine.replaceChildren(...mine.map((c) => this.row(c)));
    this.shared.replaceChildren(...shared.map((c) => this.row(c)));
    this.mineEmpty.hidden = !this.loaded || mine.length > 0;
    this.sharedEmpty.hidden = !this.loaded || shared.length > 0;
    this.addButton.hidden = this.editing !== null;
  }

  row(c) {
    const canManage = c.scope === 'personal' || this.ctx.isAdmin();
    return h(
      'li',
      { class: 'team-row', testid: 'canned-row', dataset: { cannedId: c.id } },
      h(
        'div',
        { class: 'team-row-main' },
        h('span', { class: 'team-row-title' }, h('code', {}, `/${c.shortcut}`), c.title ? ` ${c.title}` : ''),
        h('span', { class: 'muted team-row-sub' }, preview(c.body, 120)),
      ),
      canManage
        ? h(
            'div',
            { class: 'row-actions' },
            h('button', { type: 'button', class: 'btn btn-small', 'aria-label': `Edit /${c.shortcut}`, onclick: () => this.openForm(c.id) }, 'Edit'),
            h('button', { type: 'button', class: 'btn btn-small', 'aria-label': `Delete /${c.shortcut}`, onclick: () => this.remove(c) }, 'Delete'),
          )
        : null,
    );
  }

  openForm(id) {
    this.editing = id;
    const c = id === 'new' ? null : this.items.find((x) => x.id === id);
    const scope = h(
      'select',
      { testid: 'canned-scope', disabled: !!c },
      h('option', { value: 'personal' }, 'Only me'),
      this.ctx.isAdmin() || c?.scope === 'account' ? h('option', { value: 'account' }, 'Everyone in the account') : null,
    );
    scope.value = c?.scope || 'personal';
    const shortcut = h('input', { type: 'text', value: c?.shortcut || '', maxlength: 33, required: true, autocomplete: 'off', testid: 'canned-shortcut', pattern: '/?[A-Za-z0-9_-]{1,32}' });
    const title = h('input', { type: 'text', value: c?.title || '', maxlength: 100, autocomplete: 'off', testid: 'canned-title' });
    const body = h('textarea', { rows: '4', maxlength: 5000, required: true, testid: 'canned-body', class: 'textarea' });
    body.value = c?.body || '';
    const error = errorLine();
    const save = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'save-canned' }, c ? 'Save' : 'Add');
    const form = h(
      'form',
      { class: 'team-form inline-form', novalidate: true, 'aria-label': c ? `Edit /${c.shortcut}` : 'Add a canned response' },
      field('Who can use it', scope),
      field('Shortcut', shortcut, 'Letters, digits, - and _; you type it after /.'),
      field('Title', title),
      field('Text', body),
      error,
      h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn', onclick: () => this.closeForm() }, 'Cancel'), save),
    );
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      error.textContent = '';
      if (!shortcut.value.trim() || !body.value.trim()) {
        error.textContent = 'A shortcut and a text are required.';
        (shortcut.value.trim() ? body : shortcut).focus();
        return;
      }
      const fields = { shortcut: shortcut.value.trim(), title: title.value.trim(), body: body.value };
      const done = busy(save, 'Saving…');
      try {
        if (c) await teamApi.updateCanned(c.id, fields);
        else await teamApi.createCanned({ ...fields, scope: scope.value });
        this.ctx.toast(c ? 'Canned response saved' : 'Canned response added');
        done();
        this.closeForm();
        this.load();
      } catch (err) {
        done();
        if (err.status !== 401) showError(error, err, { shortcut, title, body, scope });
      }
    });
    form.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') {
        ev.preventDefault();
        ev.stopPropagation();
        this.closeForm();
      }
    });
    this.formSlot.replaceChildren(form);
    this.render();
    (c ? body : shortcut).focus();
  }

  closeForm() {
    this.editing = null;
    this.formSlot.replaceChildren();
    this.render();
    this.addButton.focus();
  }

  async remove(c) {
    const ok = await confirmDialog({ title: `Delete /${c.shortcut}?`, text: c.scope === 'account' ? 'Nobody in the account can use it any more.' : '', confirm: 'Delete', danger: true });
    if (!ok) return;
    try {
      await teamApi.deleteCanned(c.id);
      this.ctx.toast('Canned response deleted');
      this.load();
    } catch (err) {
      if (err.status !== 401) this.ctx.toast(`Could not delete: ${err.message}`, 'error');
    }
  }
}
