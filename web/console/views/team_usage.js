// Usage (admins): active operator seats per month, the basis of the bill.

import { h } from '../lib/dom.js';
import { teamApi } from '../lib/team_api.js';

export class UsagePanel {
  constructor() {
    this.months = h('select', { testid: 'usage-months', onchange: () => this.load() },
      h('option', { value: '6' }, 'Last 6 months'),
      h('option', { value: '12' }, 'Last 12 months'),
      h('option', { value: '24' }, 'Last 24 months'),
    );
    this.months.value = '12';
    this.status = h('p', { class: 'panel-status', role: 'status' });
    this.body = h('tbody');
    this.table = h(
      'table',
      { class: 'usage-table', testid: 'usage-table' },
      h('caption', { class: 'visually-hidden' }, 'Active operators per month'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Month'), h('th', { scope: 'col' }, 'Active operators'), h('th', { scope: 'col' }, 'Who'))),
      this.body,
    );
    this.el = h(
      'section',
      { class: 'panel', 'aria-labelledby': 'usage-title' },
      h('div', { class: 'panel-head' }, h('h3', { id: 'usage-title' }, 'Usage'), h('label', { class: 'visually-hidden', for: 'usage-months' }, 'Period'), this.months),
      h('p', { class: 'muted' }, 'An operator is active in a month when they signed in or wrote a message in it. Months are in UTC.'),
      this.status,
      h('div', { class: 'table-scroll' }, this.table),
    );
    this.months.id = 'usage-months';
  }

  async load() {
    this.status.className = 'panel-status loading';
    this.status.textContent = 'Loading…';
    this.table.hidden = true;
    try {
      const { months } = await teamApi.usage(this.months.value);
      this.status.textContent = '';
      this.body.replaceChildren(
        ...months.map((m) =>
          h(
            'tr',
            { testid: 'usage-row', dataset: { month: m.month } },
            h('th', { scope: 'row' }, monthLabel(m.month)),
            h('td', { class: 'num' }, String(m.active_operators)),
            h('td', {}, m.operators.map((o) => o.name).join(', ') || '—'),
          ),
        ),
      );
      this.table.hidden = false;
    } catch (err) {
      this.status.className = 'panel-status';
      this.status.replaceChildren(
        h('span', { class: 'error' }, `Could not load the usage: ${err.message}`),
        h('button', { type: 'button', class: 'btn btn-small', onclick: () => this.load() }, 'Try again'),
      );
    }
  }
}

function monthLabel(month) {
  const [y, m] = month.split('-').map(Number);
  if (!y || !m) return month;
  return new Date(Date.UTC(y, m - 1, 1)).toLocaleDateString([], { month: 'long', year: 'numeric', timeZone: 'UTC' });
}
