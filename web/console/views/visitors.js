// The Visitors area: everyone on the website now, with search, filters and
// sort, and the chosen visitor's details beside the list (or instead of it on
// a phone). The list is virtualised: rows have a fixed height, a spacer has the
// height of all of them, and only the rows on screen (and a few around) exist.

import { h, safeHref, setIfChanged } from '../lib/dom.js';
import { number } from '../lib/format.js';
import { chatState, device, DEVICE_KINDS, duration, place, plural, source, SOURCE_KINDS, visitorTitle } from '../lib/visitors.js';
import { VisitorDetail } from './visitor_detail.js';

export const ROW_HEIGHT = 64; // px; the rows' CSS height is set from here
const OVERSCAN = 6; // rows kept above and below the visible ones

const SORTS = [
  ['site', 'Time on site'],
  ['page', 'Time on page'],
  ['name', 'Name'],
  ['visits', 'Visits'],
  ['pages', 'Pages this visit'],
];

const CHAT_FILTERS = [
  ['all', 'All'],
  ['chatting', 'Chatting'],
  ['idle', 'Not chatting'],
];

export class VisitorsView {
  // actions: setFilter(partial), setSort(sort), clearFilters(), select(id),
  // close(), retry(), invite(id), reloadDetail(), openConversation(conv),
  // openChat(conversationId)
  constructor(actions) {
    this.actions = actions;
    this.rows = new Map(); // visitor id → row element, for the rows that exist
    this.list = [];
    this.index = null; // visitor id → position in list, made when asked for
    this.focusId = null; // the row that has, or last had, the keyboard focus
    this.ctx = null; // what the last render was given
    this.rowsQueued = false;

    this.search = h('input', {
      type: 'search',
      class: 'visitors-search',
      testid: 'visitors-search',
      placeholder: 'Search name, e-mail, page, place',
      'aria-label': 'Search the visitors',
      autocomplete: 'off',
      maxlength: 200,
    });
    this.search.addEventListener('input', () => actions.setFilter({ q: this.search.value.trim() }));
    this.chips = CHAT_FILTERS.map(([value, label]) =>
      h('button', { type: 'button', class: 'visitors-chip', dataset: { chat: value }, 'aria-pressed': 'false', onclick: () => actions.setFilter({ chat: value }) }, label),
    );
    this.source = choice('visitors-source', 'Source', [['', 'Any source'], ...SOURCE_KINDS], (value) => actions.setFilter({ source: value }));
    this.device = choice('visitors-device', 'Device', [['', 'Any device'], ...DEVICE_KINDS], (value) => actions.setFilter({ device: value }));
    this.sort = choice('visitors-sort', 'Sort by', SORTS, (value) => actions.setSort(value));
    this.summary = h('p', { class: 'visitors-summary', testid: 'visitors-summary' });
    const tools = h(
      'div',
      { class: 'visitors-tools', role: 'search' },
      this.search,
      h(
        'div',
        { class: 'visitors-filters' },
        h('div', { class: 'visitors-chips', role: 'group', 'aria-label': 'Chat state' }, this.chips),
        this.source,
        this.device,
        h('label', { class: 'visitors-sort-label' }, h('span', { class: 'muted' }, 'Sort'), this.sort),
      ),
      this.summary,
    );

    this.status = h('div', { class: 'visitors-status', role: 'status' });
    this.empty = h('div', { class: 'visitors-empty', testid: 'visitors-empty', hidden: true });
    this.head = h(
      'div',
      { class: 'visitors-head', 'aria-hidden': 'true' },
      ['Visitor', 'Current page', 'On site', 'Source', 'Device', 'Location', 'Visits', 'Chat'].map((label) => h('span', {}, label)),
    );
    this.spacer = h('div', { class: 'visitors-spacer', role: 'list', 'aria-label': 'Visitors on the website' });
    this.scroller = h('div', { class: 'visitors-scroll', testid: 'visitors-list' }, this.spacer);
    this.scroller.style.setProperty('--row-h', `${ROW_HEIGHT}px`);
    this.scroller.addEventListener('scroll', () => this.scheduleRows(), { passive: true });
    this.scroller.addEventListener('keydown', (ev) => this.onKey(ev));
    this.spacer.addEventListener('click', (ev) => {
      const row = ev.target.closest('.visitor-row');
      if (!row || ev.target.closest('a')) return;
      this.focusId = row.dataset.id;
      actions.select(row.dataset.id);
    });
    this.spacer.addEventListener('focusin', (ev) => {
      const row = ev.target.closest('.visitor-row');
      if (row) this.focusId = row.dataset.id;
    });
    if (typeof ResizeObserver === 'function') new ResizeObserver(() => this.scheduleRows()).observe(this.scroller);

    this.main = h('div', { class: 'col visitors-main' }, tools, this.status, this.empty, this.head, this.scroller);
    this.detail = new VisitorDetail(actions);
    this.el = h(
      'section',
      { class: 'area area-visitors', testid: 'visitors', 'aria-label': 'Visitors on the website', hidden: true },
      this.main,
      this.detail.el,
    );
  }

  // render shows the area for ctx, the VisitorsArea: model, filter, sort,
  // selectedId, detail and me.
  render(ctx) {
    this.ctx = ctx;
    const m = ctx.model;
    this.el.dataset.view = ctx.selectedId ? 'detail' : 'list';
    this.renderControls(ctx);
    const list = m.query(ctx.filter, ctx.sort);
    if (list !== this.list) {
      this.list = list;
      this.index = null;
    }
    this.summary.textContent = m.loaded && m.size ? `${number(list.length)} of ${plural(m.size, 'visitor', 'visitors')}` : '';
    this.renderStatus(m);
    this.renderEmpty(m, list);
    this.head.hidden = this.scroller.hidden = !list.length;
    this.renderRows();
    this.detail.render(ctx);
  }

  renderControls(ctx) {
    const f = ctx.filter;
    for (const chip of this.chips) chip.setAttribute('aria-pressed', String(chip.dataset.chat === f.chat));
    if (this.search.value.trim() !== f.q) this.search.value = f.q;
    if (this.source.value !== f.source) this.source.value = f.source;
    if (this.device.value !== f.device) this.device.value = f.device;
    if (this.sort.value !== ctx.sort) this.sort.value = ctx.sort;
  }

  renderStatus(m) {
    const key = m.error ? `error|${m.error}` : m.loading && !m.loaded ? 'loading' : '';
    setIfChanged(this.status, key, () => {
      if (m.error) {
        return h(
          'p',
          { class: 'visitors-error error', testid: 'visitors-error' },
          `Could not load the visitors: ${m.error} `,
          h('button', { type: 'button', class: 'btn btn-small visitors-retry', testid: 'visitors-retry', onclick: () => this.actions.retry() }, 'Try again'),
        );
      }
      if (key === 'loading') return h('p', { class: 'visitors-loading loading', testid: 'visitors-loading' }, 'Loading visitors…');
      return [];
    });
    this.status.hidden = !key;
  }

  renderEmpty(m, list) {
    const key = !m.loaded || list.length ? '' : m.size ? 'filtered' : 'nobody';
    this.empty.hidden = !key;
    this.empty.dataset.empty = key;
    setIfChanged(this.empty, key, () => {
      if (key === 'nobody') {
        return [
          h('p', { class: 'visitors-empty-title' }, 'Nobody is on your website right now'),
          h('p', { class: 'muted' }, 'Visitors show up here while they have a page of your website open. The Portico widget must be embedded on those pages for them to count.'),
        ];
      }
      if (key === 'filtered') {
        return [
          h('p', { class: 'visitors-empty-title' }, 'No visitor matches'),
          h('button', { type: 'button', class: 'btn btn-small visitors-clear', testid: 'visitors-clear', onclick: () => this.actions.clearFilters() }, 'Show everyone'),
        ];
      }
      return [];
    });
  }

  scheduleRows() {
    if (this.rowsQueued) return;
    this.rowsQueued = true;
    requestAnimationFrame(() => {
      this.rowsQueued = false;
      if (this.ctx && !this.el.hidden) this.renderRows();
    });
  }

  // renderRows makes the rows in the scrolled-to window exist, and only them.
  renderRows(now = Date.now()) {
    const ctx = this.ctx;
    if (!ctx) return;
    const list = this.list;
    const total = list.length;
    const height = `${total * ROW_HEIGHT}px`;
    if (this.spacer.style.height !== height) this.spacer.style.height = height;
    const top = this.scroller.scrollTop;
    const seen = this.scroller.clientHeight || window.innerHeight;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(total, Math.ceil((top + seen) / ROW_HEIGHT) + OVERSCAN);
    const wanted = new Map();
    for (let i = first; i < last; i++) wanted.set(list[i].id, i);
    // The focused row stays wherever it is, so that scrolling does not take
    // the keyboard focus away.
    const active = document.activeElement;
    if (active && this.rows.get(active.dataset?.id) === active && !wanted.has(active.dataset.id)) {
      const i = this.indexOf(active.dataset.id);
      if (i >= 0) wanted.set(active.dataset.id, i);
    }
    for (const [id, row] of this.rows) {
      if (!wanted.has(id)) {
        row.remove();
        this.rows.delete(id);
      }
    }
    // One row is in the Tab order: the focused one, else the selected one,
    // else the first on screen.
    const visibleFirst = list[Math.min(total - 1, Math.floor(top / ROW_HEIGHT))]?.id;
    const tabbable = wanted.has(this.focusId) ? this.focusId : wanted.has(ctx.selectedId) ? ctx.selectedId : visibleFirst;
    const me = ctx.app.state.me.id;
    for (const [id, i] of wanted) {
      let row = this.rows.get(id);
      if (!row) {
        row = newRow(id);
        this.rows.set(id, row);
        this.spacer.append(row);
      }
      fillRow(row, list[i], i, total, ctx.model.marks.get(id), id === ctx.selectedId, me, now);
      const tab = id === tabbable ? 0 : -1;
      if (row.tabIndex !== tab) row.tabIndex = tab;
    }
    // The header's columns line up with the rows, whose box is narrower by the scroll bar.
    const bar = this.scroller.offsetWidth - this.scroller.clientWidth;
    const pad = `${bar}px`;
    if (this.head.style.paddingRight !== pad) this.head.style.paddingRight = pad;
  }

  // tick moves the clocks of the rows on screen and of the open visitor on by
  // a second; nothing else is touched.
  tick(now = Date.now()) {
    for (const row of this.rows.values()) setTimes(row, row._v, now);
    this.detail.tick(now);
  }

  indexOf(id) {
    if (!this.index) {
      this.index = new Map();
      this.list.forEach((v, i) => this.index.set(v.id, i));
    }
    const i = this.index.get(id);
    return i === undefined ? -1 : i;
  }

  onKey(ev) {
    if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const row = ev.target.closest('.visitor-row');
    if (!row || ev.target !== row) return;
    const id = row.dataset.id;
    if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      this.actions.select(id);
      return;
    }
    const i = this.indexOf(id);
    const last = this.list.length - 1;
    const page = Math.max(1, Math.floor(this.scroller.clientHeight / ROW_HEIGHT) - 1);
    const moves = { ArrowDown: i + 1, ArrowUp: i - 1, PageDown: i + page, PageUp: i - page, Home: 0, End: last };
    if (!(ev.key in moves) || i < 0) return;
    ev.preventDefault();
    const next = Math.max(0, Math.min(last, moves[ev.key]));
    if (next !== i) this.focusRow(this.list[next].id);
  }

  // focusRow scrolls a visitor's row into view and gives it the focus.
  focusRow(id) {
    const i = this.indexOf(id);
    if (i < 0) return;
    this.focusId = id;
    const top = i * ROW_HEIGHT;
    const s = this.scroller;
    if (top < s.scrollTop) s.scrollTop = top;
    else if (top + ROW_HEIGHT > s.scrollTop + s.clientHeight) s.scrollTop = top + ROW_HEIGHT - s.clientHeight;
    this.renderRows();
    const row = this.rows.get(id);
    if (row) row.focus({ preventScroll: true });
  }

  resetScroll() {
    this.scroller.scrollTop = 0;
  }

  focusSearch() {
    this.search.focus();
  }
}

function choice(cls, label, options, onChange) {
  const select = h(
    'select',
    { class: cls, testid: cls, 'aria-label': label },
    options.map(([value, text]) => h('option', { value }, text)),
  );
  select.addEventListener('change', () => onChange(select.value));
  return select;
}

// newRow builds the cells of a row once; fillRow only changes their text, so
// that a row keeps its focus and costs little when a clock ticks.
function newRow(id) {
  const cell = (name, first = h('span', { class: 'vc-a' })) => {
    const b = h('span', { class: 'vc-b' });
    return { el: h('div', { class: `vc vc-${name}` }, first, b), a: first, b };
  };
  const dot = h('span', { class: 'dot', 'aria-hidden': 'true' });
  const who = cell('who', h('span', { class: 'vc-a visitor-name-text' }));
  who.el.prepend(dot);
  // The rows are reached with the arrow keys; the link opens from the details.
  const link = h('a', { class: 'vc-a visitor-page', target: '_blank', rel: 'noopener noreferrer', tabindex: '-1' });
  const page = cell('page', link);
  const site = cell('site');
  const src = cell('source');
  const dev = cell('device');
  const where = cell('where');
  const counts = cell('counts');
  const state = h('span', { class: 'vc-state-text' });
  const row = h(
    'div',
    { class: 'visitor-row', role: 'listitem', tabindex: '-1', dataset: { id } },
    who.el,
    page.el,
    site.el,
    h('div', { class: 'vr-meta' }, src.el, dev.el, where.el, counts.el),
    h('div', { class: 'vc vc-state' }, state),
  );
  row._c = { dot, who, link, page, site, src, dev, where, counts, state };
  return row;
}

function fillRow(row, v, i, total, mark, selected, me, now) {
  if (row._i !== i) {
    row._i = i;
    row.style.transform = `translateY(${i * ROW_HEIGHT}px)`;
    row.setAttribute('aria-posinset', String(i + 1));
  }
  if (row._total !== total) {
    row._total = total;
    row.setAttribute('aria-setsize', String(total));
  }
  if (row._selected !== selected) {
    row._selected = selected;
    row.classList.toggle('is-selected', selected);
    if (selected) row.setAttribute('aria-current', 'true');
    else row.removeAttribute('aria-current');
  }
  if (row._v !== v || row._mark !== mark) {
    row._v = v;
    row._mark = mark;
    const c = row._c;
    const offline = v.online === false;
    row.classList.toggle('is-offline', offline);
    row.classList.toggle('is-chatting', !!v.chat);
    c.dot.className = `dot ${offline ? 'dot-off' : 'dot-on'}`;
    text(c.who.a, visitorTitle(v));
    text(c.who.b, v.email && v.name ? v.email : '');
    const title = v.page?.title || v.page?.url || '';
    text(c.link, title || 'Unknown page');
    const href = safeHref(v.page?.url || '');
    if (href) c.link.setAttribute('href', href);
    else c.link.removeAttribute('href');
    c.link.title = v.page?.url || '';
    const [kind, detail] = source(v);
    text(c.src.a, kind || '—');
    text(c.src.b, detail);
    const [browser, os] = device(v);
    text(c.dev.a, browser || os || '—');
    text(c.dev.b, browser ? os : '');
    text(c.where.a, place(v) || '—');
    text(c.where.b, v.visit?.language || '');
    text(c.counts.a, plural(v.visits || 1, 'visit', 'visits'));
    text(c.counts.b, plural(v.chats || 0, 'chat', 'chats'));
    const state = chatState(v, mark, me);
    text(c.state, state.text);
    c.state.title = state.text;
    c.state.className = `vc-state-text${state.kind ? ` pill state-${state.kind}` : ''}`;
    row.dataset.state = state.kind || 'browsing';
  }
  setTimes(row, v, now);
}

function setTimes(row, v, now) {
  if (!v) return;
  const c = row._c;
  const onPage = duration(v.page?.since, now);
  text(c.page.b, onPage ? `on page ${onPage}` : '');
  text(c.site.a, duration(v.visit?.started_at, now) || '—');
  const pages = v.visit?.page_count || 0;
  text(c.site.b, pages ? plural(pages, 'page', 'pages') : '');
}

function text(el, s) {
  if (el.textContent !== s) el.textContent = s;
}
