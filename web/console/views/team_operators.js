// The operators panel (admins): the account's operators with their live
// status; add (a password is generated when left empty), edit and delete.

import { h } from '../lib/dom.js';
import { teamApi } from '../lib/team_api.js';
import { confirmDialog } from './overlays.js';
import { avatar, busy, errorLine, field, showError, statusLabel } from './team_form.js';

export class OperatorsPanel {
  // ctx: me() → the signed-in operator, toast(text, kind)
  constructor(ctx) {
    this.ctx = ctx;
    this.operators = [];
    this.editing = null; // id of the operator whose row shows the edit form
    this.status = h('p', { class: 'panel-status', role: 'status' });
    this.empty = h('p', { class: 'empty', hidden: true }, 'No operators yet.');
    this.loaded = false;
    this.list = h('ul', { class: 'team-list', testid: 'operator-list', 'aria-label': 'Operators' });
    this.secret = h('div', { class: 'secret', testid: 'generated-password-box', hidden: true, role: 'status' });
    this.addButton = h('button', { type: 'button', class: 'btn btn-primary btn-small', testid: 'add-operator', onclick: () => this.showAdd(true) }, 'Add operator');
    this.addForm = this.buildAddForm();
    this.el = h(
      'section',
      { class: 'panel', 'aria-labelledby': 'ops-title' },
      h('div', { class: 'panel-head' }, h('h3', { id: 'ops-title' }, 'Operators'), this.addButton),
      h('p', { class: 'muted' }, 'Every operator who signs in or answers in a month counts as an active seat that month.'),
      this.addForm,
      this.secret,
      this.status,
      this.empty,
      this.list,
    );
  }

  async load() {
    this.status.textContent = 'Loading…';
    this.status.className = 'panel-status loading';
    try {
      const { operators } = await teamApi.operators();
      this.operators = operators || [];
      this.loaded = true;
      this.status.textContent = '';
    } catch (err) {
      this.status.replaceChildren(
        h('span', { class: 'error' }, `Could not load the operators: ${err.message}`),
        h('button', { type: 'button', class: 'btn btn-small', onclick: () => this.load() }, 'Try again'),
      );
      this.status.className = 'panel-status';
    }
    this.render();
  }

  // onOperator applies an `operator` frame: a colleague's new status, name or
  // photo, or their removal.
  onOperator(frame) {
    const op = frame.operator;
    const i = this.operators.findIndex((o) => o.id === op.id);
    if (frame.event === 'deleted') {
      if (i >= 0) this.operators.splice(i, 1);
    } else if (i >= 0) {
      this.operators[i] = { ...this.operators[i], ...op };
    } else {
      return;
    }
    this.render();
  }

  buildAddForm() {
    const email = h('input', { type: 'email', required: true, maxlength: 254, autocomplete: 'off', testid: 'new-operator-email' });
    const name = h('input', { type: 'text', required: true, maxlength: 100, autocomplete: 'off', testid: 'new-operator-name' });
    const role = roleSelect('agent', 'new-operator-role');
    const password = h('input', { type: 'password', autocomplete: 'new-password', minlength: 8, testid: 'new-operator-password' });
    const error = errorLine();
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'create-operator' }, 'Add');
    const form = h(
      'form',
      { class: 'team-form inline-form', novalidate: true, hidden: true, 'aria-label': 'Add an operator' },
      field('E-mail', email),
      field('Name', name),
      field('Role', role, 'Admins manage operators, routing and everything else; agents answer chats.'),
      field('Password', password, 'Leave empty to generate a strong one, shown once.'),
      error,
      h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn', onclick: () => this.showAdd(false) }, 'Cancel'), submit),
    );
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      error.textContent = '';
      if (!email.value.trim() || !name.value.trim()) {
        error.textContent = 'E-mail and name are required.';
        (email.value.trim() ? name : email).focus();
        return;
      }
      const done = busy(submit, 'Adding…');
      try {
        const body = { email: email.value.trim(), name: name.value.trim(), role: role.value };
        if (password.value) body.password = password.value;
        const res = await teamApi.createOperator(body);
        this.operators.push(res.operator);
        this.operators.sort((a, b) => a.name.localeCompare(b.name));
        form.reset();
        this.showAdd(false);
        this.ctx.toast(`${res.operator.name} added`);
        if (res.password) this.showSecret(res.operator, res.password);
        this.render();
      } catch (err) {
        if (err.status !== 401) showError(error, err, { email, name, role, password });
      } finally {
        done();
      }
    });
    form._first = email;
    return form;
  }

  showAdd(on) {
    this.addForm.hidden = !on;
    this.addButton.hidden = on;
    if (on) {
      this.secret.hidden = true;
      this.addForm._first.focus();
    } else this.addButton.focus();
  }

  // showSecret shows a generated password once, with a way to copy it.
  showSecret(op, password) {
    const code = h('code', { class: 'secret-value', testid: 'generated-password' }, password);
    const copy = h('button', {
      type: 'button',
      class: 'btn btn-small',
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(password);
          copy.textContent = 'Copied';
        } catch {
          getSelection()?.selectAllChildren(code); // select it for Ctrl+C
        }
      },
    }, 'Copy');
    this.secret.replaceChildren(
      h('p', {}, `Password for ${op.name} (${op.email}). It is shown only now: give it to them, they can change it in their profile.`),
      h('div', { class: 'secret-row' }, code, copy),
      h('button', { type: 'button', class: 'btn btn-small btn-quiet', onclick: () => (this.secret.hidden = true) }, 'Done'),
    );
    this.secret.hidden = false;
    copy.focus();
  }

  render() {
    const me = this.ctx.me();
    this.empty.hidden = !this.loaded || this.operators.length > 0;
    this.list.replaceChildren(
      ...this.operators.map((op) =>
        this.editing === op.id ? this.editRow(op) : this.row(op, me),
      ),
    );
  }

  row(op, me) {
    const status = op.status || 'offline';
    return h(
      'li',
      { class: 'team-row', testid: 'operator-row', dataset: { operatorId: op.id } },
      avatar(op, 36),
      h(
        'div',
        { class: 'team-row-main' },
        h('span', { class: 'team-row-title' }, op.name, op.id === me.id ? h('span', { class: 'muted' }, ' (you)') : null),
        h('span', { class: 'muted team-row-sub' }, op.email),
      ),
      h('span', { class: `pill role-${op.role}` }, op.role === 'admin' ? 'Admin' : 'Agent'),
      h('span', { class: `presence presence-${status}`, testid: 'operator-status', dataset: { status } }, statusLabel[status] || status),
      h(
        'div',
        { class: 'row-actions' },
        h('button', { type: 'button', class: 'btn btn-small', testid: 'edit-operator', 'aria-label': `Edit ${op.name}`, onclick: () => this.edit(op.id) }, 'Edit'),
        h('button', { type: 'button', class: 'btn btn-small', testid: 'delete-operator', 'aria-label': `Delete ${op.name}`, onclick: () => this.remove(op) }, 'Delete'),
      ),
    );
  }

  edit(id) {
    this.editing = id;
    this.render();
    this.list.querySelector('.team-row-edit input')?.focus();
  }

  editRow(op) {
    const name = h('input', { type: 'text', value: op.name, maxlength: 100, required: true, testid: 'edit-operator-name' });
    const email = h('input', { type: 'email', value: op.email, maxlength: 254, required: true, testid: 'edit-operator-email' });
    const role = roleSelect(op.role, 'edit-operator-role');
    const password = h('input', { type: 'password', autocomplete: 'new-password', minlength: 8, testid: 'edit-operator-password' });
    const error = errorLine();
    const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save');
    const generate = h('button', { type: 'button', class: 'btn', testid: 'reset-password' }, 'Generate new password');
    const close = (focus = true) => {
      this.editing = null;
      this.render();
      if (focus) this.list.querySelector(`[data-operator-id="${CSS.escape(op.id)}"] [data-testid=edit-operator]`)?.focus();
    };
    const send = async (body, button) => {
      error.textContent = '';
      const done = busy(button, 'Saving…');
      try {
        const res = await teamApi.updateOperator(op.id, body);
        Object.assign(op, res.operator);
        if (res.password) this.showSecret(res.operator, res.password);
        this.ctx.toast(`${res.operator.name} saved`);
        done();
        close(!res.password);
      } catch (err) {
        done();
        if (err.status !== 401) showError(error, err, { name, email, role, password });
      }
    };
    const form = h(
      'form',
      { class: 'team-form', novalidate: true, 'aria-label': `Edit ${op.name}` },
      field('Name', name),
      field('E-mail', email),
      field('Role', role),
      field('New password', password, 'Leave empty to keep it. A new password signs them out everywhere.'),
      error,
      h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn', onclick: () => close() }, 'Cancel'), generate, save),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const body = {};
      if (name.value.trim() !== op.name) body.name = name.value.trim();
      if (email.value.trim() !== op.email) body.email = email.value.trim();
      if (role.value !== op.role) body.role = role.value;
      if (password.value) body.password = password.value;
      if (!Object.keys(body).length) {
        close();
        return;
      }
      send(body, save);
    });
    generate.addEventListener('click', () => send({ generate_password: true }, generate));
    form.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') {
        ev.preventDefault();
        ev.stopPropagation();
        close();
      }
    });
    return h('li', { class: 'team-row team-row-edit', dataset: { operatorId: op.id } }, form);
  }

  async remove(op) {
    const self = op.id === this.ctx.me().id;
    const ok = await confirmDialog({
      title: self ? 'Delete your own account?' : `Delete ${op.name}?`,
      text: 'Their open chats go back to waiting for someone else, and they are signed out at once. Their messages stay in the history.',
      confirm: 'Delete operator',
      danger: true,
    });
    if (!ok) return;
    try {
      await teamApi.deleteOperator(op.id);
      this.operators = this.operators.filter((o) => o.id !== op.id);
      this.ctx.toast(`${op.name} deleted`);
      this.render();
    } catch (err) {
      if (err.status !== 401) this.ctx.toast(err.code === 'last_admin' ? 'The account must keep at least one admin.' : `Could not delete: ${err.message}`, 'error');
    }
  }
}

function roleSelect(value, testid) {
  const select = h('select', { testid }, h('option', { value: 'agent' }, 'Agent'), h('option', { value: 'admin' }, 'Admin'));
  select.value = value;
  return select;
}
