// Proactive chat (admins): rules that open the chat box with a greeting when
// a visitor has been a while on matching pages, and how the invitations fared.

import { h } from '../lib/dom.js';
import { number } from '../lib/format.js';
import { visitorsApi } from '../lib/visitors_api.js';
import { confirmDialog } from './overlays.js';
import { busy, errorLine, field, InlineForm, showError } from './team_form.js';

const MAX_GREETING = 1000;

export class ProactivePanel {
  // ctx: toast(text, kind)
  constructor(ctx) {
    this.ctx = ctx;
    this.rules = [];
    this.stats = null;
    this.loaded = false;
    this.status = h('p', { class: 'panel-status', role: 'status' });
    this.totals = h('div', { class: 'proactive-stats', testid: 'proactive-stats' });
    this.list = h('ul', { class: 'team-list proactive-rule-list', testid: 'proactive-rule-list', 'aria-label': 'Proactive chat rules' });
    this.empty = h(
      'p',
      { class: 'empty proactive-empty', testid: 'proactive-empty', hidden: true },
      'No rules: the chat box never opens by itself. Operators can still invite visitors from the Visitors area.',
    );
    this.addButton = h('button', { type: 'button', class: 'btn btn-primary btn-small proactive-add', testid: 'proactive-add', onclick: () => this.openForm(null) }, 'Add rule');
    this.editor = new InlineForm(this.addButton);
    this.el = h(
      'section',
      { class: 'panel proactive-panel', 'aria-labelledby': 'proactive-title' },
      h('div', { class: 'panel-head' }, h('h3', { id: 'proactive-title' }, 'Proactive chat'), this.addButton),
      h(
        'p',
        { class: 'muted' },
        'A rule opens the chat box with a greeting when a visitor has spent some time on a matching page. ',
        'There are no rules by default, so nothing pops up until you add one.',
      ),
      this.totals,
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
      const [rules, stats] = await Promise.all([visitorsApi.rules(), visitorsApi.invitationStats().catch(() => null)]);
      this.rules = rules?.proactive_rules || [];
      this.stats = stats;
      this.loaded = true;
      this.status.textContent = '';
    } catch (err) {
      this.status.className = 'panel-status';
      this.status.replaceChildren(
        h('span', { class: 'error' }, `Could not load the proactive chat rules: ${err.message}`),
        h('button', { type: 'button', class: 'btn btn-small', onclick: () => this.load() }, 'Try again'),
      );
    }
    this.render();
  }

  render() {
    this.empty.hidden = !this.loaded || this.rules.length > 0;
    const st = this.stats;
    this.totals.hidden = !st;
    this.totals.replaceChildren(
      ...(st
        ? [
            statLine('operator', 'Invitations by operators', st.operator),
            statLine('proactive', 'Proactive greetings', st.proactive),
          ]
        : []),
    );
    const perRule = new Map((st?.rules || []).map((r) => [r.rule_id, r]));
    this.list.replaceChildren(...this.rules.map((r) => this.row(r, perRule.get(r.id))));
  }

  row(rule, counts) {
    const enabled = h('input', {
      type: 'checkbox',
      class: 'proactive-rule-enabled',
      testid: 'proactive-rule-enabled',
      checked: !!rule.enabled,
      'aria-label': `Rule for ${patternLabel(rule)} is on`,
    });
    enabled.addEventListener('change', () => this.setEnabled(rule, enabled));
    return h(
      'li',
      { class: `team-row proactive-rule${rule.enabled ? '' : ' is-disabled'}`, testid: 'proactive-rule', dataset: { ruleId: rule.id } },
      h(
        'div',
        { class: 'team-row-main' },
        h('code', { class: 'team-row-title proactive-rule-pattern' }, patternLabel(rule)),
        h('span', { class: 'muted team-row-sub' }, timing(rule)),
        h('span', { class: 'proactive-rule-greeting' }, `“${rule.greeting}”`),
        h('span', { class: 'muted proactive-rule-stats', testid: 'proactive-rule-stats' }, counts ? countsText(counts) : 'Not shown yet'),
      ),
      h(
        'div',
        { class: 'row-actions' },
        h('label', { class: 'check proactive-rule-toggle' }, enabled, h('span', {}, 'On')),
        h('button', { type: 'button', class: 'btn btn-small proactive-rule-edit', testid: 'proactive-rule-edit', 'aria-label': `Edit the rule for ${patternLabel(rule)}`, onclick: () => this.openForm(rule) }, 'Edit'),
        h(
          'button',
          { type: 'button', class: 'btn btn-small proactive-rule-delete', testid: 'proactive-rule-delete', 'aria-label': `Delete the rule for ${patternLabel(rule)}`, onclick: () => this.remove(rule) },
          'Delete',
        ),
      ),
    );
  }

  async setEnabled(rule, input) {
    input.disabled = true;
    try {
      const res = await visitorsApi.updateRule(rule.id, { enabled: input.checked });
      Object.assign(rule, res?.proactive_rule || { enabled: input.checked });
      this.ctx.toast(rule.enabled ? 'Rule turned on' : 'Rule turned off');
      this.render();
    } catch (err) {
      input.checked = !input.checked;
      input.disabled = false;
      if (err.status !== 401) this.ctx.toast(`Could not change the rule: ${err.message}`, 'error');
    }
  }

  openForm(rule) {
    const pattern = h('input', { type: 'text', name: 'pattern', class: 'proactive-pattern', testid: 'proactive-pattern', value: rule?.pattern || '', maxlength: 500, autocomplete: 'off', placeholder: '/pricing/*' });
    const seconds = h('input', { type: 'number', name: 'after_seconds', class: 'proactive-after-seconds', testid: 'proactive-after-seconds', min: 0, max: 86400, step: 1, inputmode: 'numeric', value: String(rule?.after_seconds ?? 30) });
    const pages = h('input', { type: 'number', name: 'after_pages', class: 'proactive-after-pages', testid: 'proactive-after-pages', min: 0, max: 1000, step: 1, inputmode: 'numeric', value: String(rule?.after_pages ?? 1) });
    const greeting = h('textarea', { name: 'greeting', class: 'textarea proactive-greeting', testid: 'proactive-greeting', rows: 3 });
    greeting.value = rule?.greeting ?? 'Hello! Can I help you?';
    const enabled = h('input', { type: 'checkbox', name: 'enabled', class: 'proactive-enabled', testid: 'proactive-enabled', checked: rule ? !!rule.enabled : true });
    const error = errorLine();
    error.classList.add('proactive-error');
    const save = h('button', { type: 'submit', class: 'btn btn-primary proactive-save', testid: 'proactive-save' }, rule ? 'Save' : 'Add rule');
    const form = h(
      'form',
      { class: 'team-form inline-form proactive-rule-form', testid: 'proactive-rule-form', novalidate: true, 'aria-label': rule ? 'Edit the proactive chat rule' : 'Add a proactive chat rule' },
      field('Page URL pattern', pattern, 'Empty: every page. * matches anything: /pricing/*, https://shop.example/cars/*'),
      h('div', { class: 'proactive-timing' }, field('Seconds on the page', seconds), field('Pages this visit, at least', pages)),
      field('Greeting', greeting, 'Shown in the chat box, as from your team.'),
      h('label', { class: 'check' }, enabled, h('span', {}, 'On')),
      error,
      h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn proactive-cancel', onclick: () => this.closeForm() }, 'Cancel'), save),
    );
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      error.textContent = '';
      const s = wholeNumber(seconds.value);
      const p = wholeNumber(pages.value);
      const text = greeting.value.trim();
      if (s === null) {
        error.textContent = 'Enter the seconds as a whole number, 0 or more.';
        seconds.focus();
        return;
      }
      if (p === null) {
        error.textContent = 'Enter the pages as a whole number, 0 or more.';
        pages.focus();
        return;
      }
      if (!text || Array.from(text).length > MAX_GREETING) {
        error.textContent = text ? `The greeting is too long: at most ${number(MAX_GREETING)} characters.` : 'Write the greeting.';
        greeting.focus();
        return;
      }
      const body = { pattern: pattern.value.trim(), after_seconds: s, after_pages: p, greeting: text, enabled: enabled.checked };
      const done = busy(save, 'Saving…');
      try {
        if (rule) await visitorsApi.updateRule(rule.id, body);
        else await visitorsApi.createRule(body);
        this.ctx.toast(rule ? 'Rule saved' : 'Rule added');
        done();
        this.closeForm();
        this.load();
      } catch (err) {
        done();
        if (err.status !== 401) showError(error, err, { pattern, after_seconds: seconds, after_pages: pages, greeting });
      }
    });
    this.editor.open(form, pattern);
  }

  closeForm() {
    this.editor.close();
  }

  async remove(rule) {
    const ok = await confirmDialog({
      title: `Delete the rule for ${patternLabel(rule)}?`,
      text: 'Its greeting no longer opens the chat box.',
      confirm: 'Delete rule',
      danger: true,
    });
    if (!ok) return;
    try {
      await visitorsApi.deleteRule(rule.id);
      this.ctx.toast('Rule deleted');
      this.load();
    } catch (err) {
      if (err.status !== 401) this.ctx.toast(`Could not delete: ${err.message}`, 'error');
    }
  }
}

function patternLabel(rule) {
  return rule.pattern || 'every page';
}

function timing(rule) {
  const secs = Number(rule.after_seconds) || 0;
  const pages = Number(rule.after_pages) || 0;
  const parts = [secs ? `after ${number(secs)} s on the page` : 'as soon as the page opens'];
  if (pages > 1) parts.push(`from the ${ordinal(pages)} page of a visit`);
  return parts.join(', ');
}

function ordinal(n) {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : { 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] || 'th';
  return `${n}${suffix}`;
}

function countsText(c) {
  return `${number(c?.shown || 0)} shown · ${number(c?.accepted || 0)} accepted · ${number(c?.declined || 0)} declined`;
}

function statLine(kind, label, counts) {
  return h('p', { class: 'proactive-stat', dataset: { kind } }, h('span', { class: 'proactive-stat-label' }, `${label}: `), countsText(counts));
}

function wholeNumber(value) {
  const s = String(value).trim();
  if (!/^\d+$/.test(s)) return null;
  return Number(s);
}
