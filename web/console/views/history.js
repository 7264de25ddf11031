// The History area: a search form with filters, the closed chats found
// (newest first, with the words highlighted), and the transcript of the one
// opened with its export buttons. On a phone, results and transcript take
// turns.

import { exportURL } from '../lib/collab-api.js';
import { h, linkify, reconcile, setIfChanged } from '../lib/dom.js';
import { clock, dayLabel, visitorName, when } from '../lib/format.js';

export class HistoryView {
  // actions: search(filters), more(), open(id), back(), filterVisitor(conv),
  // clearVisitor(), reloadTranscript(id)
  constructor(actions) {
    this.actions = actions;
    const field = (label, input) => h('label', { class: 'history-field' }, h('span', { class: 'history-label' }, label), input);
    this.q = h('input', { type: 'search', name: 'q', testid: 'history-q', placeholder: 'Words in the chat', maxlength: '200', autocomplete: 'off', 'aria-label': 'Search the chat history' });
    this.from = h('input', { type: 'date', name: 'from', testid: 'history-from' });
    this.to = h('input', { type: 'date', name: 'to', testid: 'history-to' });
    this.operator = h('select', { name: 'operator_id', testid: 'history-operator' }, h('option', { value: '' }, 'Any operator'));
    this.account = h('select', { name: 'account_id', testid: 'history-account' }, h('option', { value: '' }, 'All websites'));
    this.accountField = field('Website', this.account);
    this.visitorChip = h('p', { class: 'history-visitor', testid: 'history-visitor' });
    this.form = h(
      'form',
      { class: 'history-search', role: 'search', testid: 'history-form' },
      h('div', { class: 'history-row' }, this.q, h('button', { type: 'submit', class: 'btn btn-primary', testid: 'history-search' }, 'Search')),
      h('div', { class: 'history-filters' }, field('From', this.from), field('To', this.to), field('Operator', this.operator), this.accountField),
      this.visitorChip,
    );
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.actions.search(this.values());
    });

    this.status = h('p', { class: 'list-status', role: 'status', testid: 'history-status' });
    this.results = h('ul', { class: 'chat-list history-results', testid: 'history-results', 'aria-label': 'Chats found' });
    this.moreButton = h('button', { type: 'button', class: 'btn btn-small btn-block', testid: 'history-more', onclick: () => this.actions.more() }, 'More results');
    this.side = h('div', { class: 'col history-side' }, this.form, this.status, this.results, this.moreButton);

    this.placeholder = h('div', { class: 'chat-empty' }, h('p', {}, 'Search, then open a chat to read its transcript'));
    this.head = h('header', { class: 'chat-head' });
    this.logStatus = h('div', { class: 'log-status' });
    this.log = h('div', { class: 'messages', role: 'log', 'aria-label': 'Transcript', tabindex: '0', testid: 'transcript' });
    this.pane = h('div', { class: 'chat-pane' }, this.head, this.logStatus, this.log);
    this.main = h('main', { class: 'col col-chat', 'aria-label': 'Transcript' }, this.placeholder, this.pane);
    this.el = h('section', { class: 'area area-history', testid: 'history', 'aria-label': 'Chat history' }, this.side, this.main);
  }

  values() {
    return {
      q: this.q.value.trim(),
      from: this.from.value,
      to: this.to.value,
      operator_id: this.operator.value,
      account_id: this.account.value,
    };
  }

  render(hist, me, visible) {
    this.el.hidden = !visible;
    if (!visible) return;
    this.el.dataset.view = hist.selectedId ? 'transcript' : 'list';
    this.renderOptions(hist);
    this.renderResults(hist);
    this.renderTranscript(hist, me);
  }

  renderOptions(hist) {
    setIfChanged(this.operator, JSON.stringify(hist.operators.map((o) => [o.id, o.name])), () => [
      h('option', { value: '' }, 'Any operator'),
      hist.operators.map((o) => h('option', { value: o.id }, o.name || o.email || 'Operator')),
    ]);
    if (this.operator.value !== (hist.filters.operator_id || '')) this.operator.value = hist.filters.operator_id || '';
    const accounts = [...hist.accounts];
    this.accountField.hidden = accounts.length < 2;
    setIfChanged(this.account, JSON.stringify(accounts), () => [
      h('option', { value: '' }, 'All websites'),
      accounts.map(([id, label]) => h('option', { value: id }, label)),
    ]);
    if (this.account.value !== (hist.filters.account_id || '')) this.account.value = hist.filters.account_id || '';
    const v = hist.filters.visitor_id;
    this.visitorChip.hidden = !v;
    setIfChanged(this.visitorChip, v ? `${v}|${hist.filters.visitor_label}` : '', () =>
      v
        ? [
            h('span', {}, `Only chats with ${hist.filters.visitor_label || 'one visitor'}`),
            h('button', { type: 'button', class: 'btn btn-small', testid: 'history-visitor-clear', onclick: () => this.actions.clearVisitor() }, 'Any visitor'),
          ]
        : [],
    );
  }

  renderResults(hist) {
    let status = '';
    if (hist.error) status = `Could not search: ${hist.error}`;
    else if (hist.loading && !hist.results.length) status = 'Searching…';
    else if (hist.searched && !hist.results.length) status = 'No closed chat matches. Try other words or a wider date range.';
    this.status.textContent = status;
    this.status.classList.toggle('error', !!hist.error);
    this.status.hidden = !status;
    this.moreButton.hidden = !hist.cursor;
    this.moreButton.disabled = hist.loading;
    this.moreButton.textContent = hist.loading ? 'Loading…' : 'More results';

    const words = hist.words;
    reconcile(
      this.results,
      hist.results.map((r) => ({ key: r.conversation.id, r })),
      ({ r }) => {
        const c = r.conversation;
        const parts = [c.owner?.name, c.advertiser?.name, c.listing?.title].filter(Boolean);
        return h(
          'li',
          {},
          h(
            'button',
            { type: 'button', class: 'chat-item history-item', testid: 'history-item', dataset: { conversationId: c.id }, onclick: () => this.actions.open(c.id) },
            h('span', { class: 'item-top' }, h('span', { class: 'item-name' }, visitorName(c)), h('span', { class: 'item-age' }, when(c.created_at))),
            parts.length ? h('span', { class: 'item-owner' }, parts.join(' · ')) : null,
            h('span', { class: 'history-snippet', testid: 'history-snippet' }, highlight(r.snippet || '', words)),
          ),
        );
      },
    );
    for (const li of this.results.children) {
      const b = li.firstElementChild;
      const on = b.dataset.conversationId === hist.selectedId;
      b.classList.toggle('is-selected', on);
      if (on) b.setAttribute('aria-current', 'true');
      else b.removeAttribute('aria-current');
    }
  }

  renderTranscript(hist, me) {
    const tr = hist.transcript;
    const conv = tr?.conv;
    this.pane.hidden = !conv;
    this.placeholder.hidden = !!conv;
    if (!conv) {
      setIfChanged(this.placeholder, tr ? `${tr.error}|${tr.loading}` : 'none', () =>
        tr?.error
          ? [h('p', { class: 'error' }, tr.error), h('button', { type: 'button', class: 'btn btn-small', onclick: () => this.actions.reloadTranscript(tr.id) }, 'Try again')]
          : tr
            ? h('p', { class: 'loading' }, 'Loading…')
            : h('p', {}, 'Search, then open a chat to read its transcript'),
      );
      return;
    }
    setIfChanged(this.head, JSON.stringify([conv.id, conv.status, conv.owner?.name, conv.closed_at]), () => [
      h('button', { type: 'button', class: 'btn btn-icon history-back', 'aria-label': 'Back to the results', onclick: () => this.actions.back() }, '‹'),
      h(
        'div',
        { class: 'head-main' },
        h('h2', { class: 'head-name', testid: 'transcript-title' }, visitorName(conv)),
        h(
          'p',
          { class: 'head-sub' },
          h('span', {}, `${dayLabel(conv.created_at)} ${clock(conv.created_at)}`),
          conv.owner?.name ? h('span', {}, `Answered by ${conv.owner.name}`) : null,
          conv.status !== 'closed' ? h('span', { class: 'pill' }, conv.status) : null,
        ),
      ),
      h(
        'div',
        { class: 'head-actions' },
        h('button', { type: 'button', class: 'btn btn-small', testid: 'history-by-visitor', onclick: () => this.actions.filterVisitor(conv) }, 'All chats with this visitor'),
        h('a', { class: 'btn btn-small', href: exportURL(conv.id, 'json'), download: `conversation-${conv.id}.json`, testid: 'export-json' }, 'Export JSON'),
        h('a', { class: 'btn btn-small', href: exportURL(conv.id, 'csv'), download: `conversation-${conv.id}.csv`, testid: 'export-csv' }, 'Export CSV'),
      ),
    ]);
    const status = tr.error || (tr.loading ? 'Loading…' : tr.messages.length ? '' : 'No messages');
    setIfChanged(this.logStatus, status, () => (status ? h('span', { class: tr.error ? 'error' : 'loading' }, status) : []));
    this.logStatus.hidden = !status;
    reconcile(
      this.log,
      tr.messages.map((m) => ({ key: `${conv.id}:${m.seq}`, m })),
      ({ m }) => {
        const type = m.author?.type || 'system';
        const own = type === 'operator' && m.author.id === me.id;
        const author = type === 'system' ? '' : own ? 'You' : m.author?.name || (type === 'visitor' ? visitorName(conv) : 'Operator');
        return h(
          'div',
          { class: `msg msg-${type}`, testid: 'transcript-message', dataset: { seq: m.seq, authorType: type } },
          h('div', { class: 'msg-meta' }, author ? h('span', { class: 'msg-author' }, author) : null, h('time', { datetime: m.created_at }, clock(m.created_at))),
          h('div', { class: 'msg-body' }, linkify(String(m.body ?? ''))),
        );
      },
    );
  }

  focusResults() {
    const first = this.results.querySelector('button');
    if (first) first.focus();
  }
}

// highlight marks the searched words in a snippet, as text nodes and <mark>
// elements only.
function highlight(text, words) {
  const list = (words || []).filter(Boolean).map((w) => w.toLowerCase());
  if (!list.length) return text;
  const lower = text.toLowerCase();
  // A few letters change length when lower-cased; then the indexes would not match.
  if (lower.length !== text.length) return text;
  const out = [];
  let i = 0;
  let last = 0;
  while (i < text.length) {
    const w = list.find((word) => lower.startsWith(word, i));
    if (w) {
      if (i > last) out.push(text.slice(last, i));
      out.push(h('mark', {}, text.slice(i, i + w.length)));
      i += w.length;
      last = i;
    } else i++;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}
