// Routing rules (admins): chats started on pages whose URL matches a pattern
// go to some operators only. Without a matching rule every operator is alerted.

import { h } from '../lib/dom.js';
import { teamApi } from '../lib/team_api.js';
import { confirmDialog } from './overlays.js';
import { busy, errorLine, field, InlineForm, showError } from './team_form.js';

export class RoutingPanel {
  // ctx: toast(text, kind)
  constructor(ctx) {
    this.ctx = ctx;
    this.rules = [];
    this.operators = [];
    this.loaded = false;
    this.status = h('p', { class: 'panel-status', role: 'status' });
    this.list = h('ol', { class: 'team-list', testid: 'rule-list', 'aria-label': 'Routing rules, tried in this order' });
    this.empty = h('p', { class: 'empty', hidden: true }, 'No rules: every chat alerts every available operator.');
    this.addButton = h('button', { type: 'button', class: 'btn btn-primary btn-small', testid: 'add-rule', onclick: () => this.openForm(null) }, 'Add rule');
    this.editor = new InlineForm(this.addButton);
    this.el = h(
      'section',
      { class: 'panel', 'aria-labelledby': 'routing-title' },
      h('div', { class: 'panel-head' }, h('h3', { id: 'routing-title' }, 'Chat routing'), this.addButton),
      h(
        'p',
        { class: 'muted' },
        'A chat started on a page that matches a rule alerts only that rule’s operators, and only they can pick it up. ',
        'Rules are tried in order. * matches anything: /cars/* (a path), https://shop.example/cars/* or *.shop.example/*.',
      ),
      this.editor.slot,
      this.status,
      this.empty,
      this.list,
    );
  }

  async load() {
    this.status.className = 'panel-status loading';
    this.status.textContent = 'Loading…';
    try {
      const [rules, ops] = await Promise.all([teamApi.rules(), teamApi.operators()]);
      this.rules = rules.routing_rules || [];
      this.operators = ops.operators || [];
      this.loaded = true;
      this.status.textContent = '';
    } catch (err) {
      this.status.className = 'panel-status';
      this.status.replaceChildren(
        h('span', { class: 'error' }, `Could not load the routing rules: ${err.message}`),
        h('button', { type: 'button', class: 'btn btn-small', onclick: () => this.load() }, 'Try again'),
      );
    }
    this.render();
  }

  name(id) {
    return this.operators.find((o) => o.id === id)?.name || 'a deleted operator';
  }

  render() {
    this.empty.hidden = !this.loaded || this.rules.length > 0;
    this.list.replaceChildren(
      ...this.rules.map((r) =>
        h(
          'li',
          { class: 'team-row', testid: 'rule-row', dataset: { ruleId: r.id } },
          h(
            'div',
            { class: 'team-row-main' },
            h('code', { class: 'team-row-title' }, r.pattern),
            h('span', { class: 'muted team-row-sub' }, r.operator_ids.length ? `→ ${r.operator_ids.map((id) => this.name(id)).join(', ')}` : 'No operators left: this rule is skipped'),
          ),
          h(
            'div',
            { class: 'row-actions' },
            h('button', { type: 'button', class: 'btn btn-small', 'aria-label': `Edit the rule for ${r.pattern}`, onclick: () => this.openForm(r) }, 'Edit'),
            h('button', { type: 'button', class: 'btn btn-small', 'aria-label': `Delete the rule for ${r.pattern}`, onclick: () => this.remove(r) }, 'Delete'),
          ),
        ),
      ),
    );
  }

  openForm(rule) {
    const pattern = h('input', { type: 'text', value: rule?.pattern || '', maxlength: 500, required: true, autocomplete: 'off', placeholder: '/cars/*', testid: 'rule-pattern' });
    const chosen = new Set(rule?.operator_ids || []);
    const boxes = this.operators.map((op) => {
      const input = h('input', { type: 'checkbox', value: op.id, checked: chosen.has(op.id), testid: 'rule-operator' });
      return { input, el: h('label', { class: 'check' }, input, h('span', {}, op.name)) };
    });
    const group = h('fieldset', { class: 'fieldset' }, h('legend', {}, 'Operators'), ...boxes.map((b) => b.el));
    const error = errorLine();
    const save = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'save-rule' }, rule ? 'Save' : 'Add rule');
    const form = h(
      'form',
      { class: 'team-form inline-form', novalidate: true, 'aria-label': rule ? 'Edit the routing rule' : 'Add a routing rule' },
      field('Page URL pattern', pattern),
      group,
      error,
      h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn', onclick: () => this.closeForm() }, 'Cancel'), save),
    );
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      error.textContent = '';
      const ids = boxes.filter((b) => b.input.checked).map((b) => b.input.value);
      if (!pattern.value.trim()) {
        error.textContent = 'Enter a page URL or path.';
        pattern.focus();
        return;
      }
      if (!ids.length) {
        error.textContent = 'Choose at least one operator.';
        boxes[0]?.input.focus();
        return;
      }
      const done = busy(save, 'Saving…');
      try {
        const body = { pattern: pattern.value.trim(), operator_ids: ids };
        if (rule) await teamApi.updateRule(rule.id, body);
        else await teamApi.createRule(body);
        this.ctx.toast(rule ? 'Rule saved' : 'Rule added');
        done();
        this.closeForm();
        this.load();
      } catch (err) {
        done();
        if (err.status !== 401) showError(error, err, { pattern });
      }
    });
    this.editor.open(form, pattern);
  }

  closeForm() {
    this.editor.close();
  }

  async remove(rule) {
    const ok = await confirmDialog({ title: `Delete the rule for ${rule.pattern}?`, text: 'New chats from those pages alert every available operator again.', confirm: 'Delete rule', danger: true });
    if (!ok) return;
    try {
      await teamApi.deleteRule(rule.id);
      this.ctx.toast('Rule deleted');
      this.load();
    } catch (err) {
      if (err.status !== 401) this.ctx.toast(`Could not delete: ${err.message}`, 'error');
    }
  }
}
