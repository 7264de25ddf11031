// The live visitor list: who is on the website now, as one REST load and the
// socket's visitor frames make it. No DOM and no network here.

import { shortId } from './format.js';

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

// VisitorModel holds the visitors by id. A visitor object is never changed in
// place: a change puts a new object in the map, so that what was derived from
// the old one (search text, a row's signature) goes stale with it. Every
// change increments version; views compare versions instead of contents.
export class VisitorModel {
  constructor() {
    this.visitors = new Map(); // id → VisitorLive
    this.marks = new Map(); // visitor id → invitation state: 'invited' | 'accepted' | 'declined'
    this.version = 0;
    this.loaded = false;
    this.loading = false;
    this.error = '';
    this.buffer = null; // frames that came while a load ran, replayed on its answer
    this.counted = { version: -1, online: 0 };
    this.queried = { key: '', list: [] };
    this.haystacks = new WeakMap(); // visitor object → lower-case text the search looks in
  }

  get size() {
    return this.visitors.size;
  }

  get(id) {
    return this.visitors.get(id);
  }

  // begin starts a load. The frames that arrive until its answer are applied
  // at once (the list stays live) and again on top of the answer, in order,
  // which ends in the state of the last frame either way.
  begin() {
    this.loading = true;
    this.error = '';
    this.buffer = [];
    this.version++;
  }

  // replace takes the answer of GET /visitors?online=true as the truth.
  replace(list) {
    const frames = this.buffer || [];
    this.buffer = null;
    this.visitors = new Map();
    for (const v of list) if (v && v.id && !v.left) this.visitors.set(v.id, v);
    this.loaded = true;
    this.loading = false;
    this.error = '';
    for (const frame of frames) this.applyNow(frame);
    for (const id of this.marks.keys()) if (!this.visitors.has(id)) this.marks.delete(id);
    this.version++;
  }

  fail(message) {
    this.buffer = null;
    this.loading = false;
    this.error = message || 'Something went wrong.';
    this.version++;
  }

  // apply takes one visitor frame and returns what changed, or null:
  // {event, id, before}. before is the visitor as it was (null when new).
  apply(frame) {
    if (this.buffer) this.buffer.push(frame);
    return this.applyNow(frame);
  }

  applyNow(frame) {
    if (!frame || frame.type !== 'visitor') return null;
    switch (frame.event) {
      case 'online':
      case 'updated': {
        const v = frame.visitor;
        if (!v || !v.id) return null;
        const before = this.visitors.get(v.id) || null;
        this.visitors.set(v.id, v);
        this.version++;
        return { event: frame.event, id: v.id, before };
      }
      case 'offline': {
        const before = this.visitors.get(frame.visitor_id);
        if (!before || before.online === false) return null;
        this.visitors.set(before.id, { ...before, online: false });
        this.version++;
        return { event: 'offline', id: before.id, before };
      }
      case 'left':
        return this.remove(frame.visitor_id, 'left');
      default:
        return null; // a newer server's event: nothing to do
    }
  }

  remove(id, event) {
    const before = this.visitors.get(id);
    this.marks.delete(id);
    if (!before) return null;
    this.visitors.delete(id);
    this.version++;
    return { event, id, before };
  }

  // mark notes how this console's invitation to a visitor went.
  mark(id, state) {
    if (!id || this.marks.get(id) === state) return;
    this.marks.set(id, state);
    this.version++;
  }

  // onlineCount is the number of visitors with a page open now (not the
  // dimmed ones that may come back).
  onlineCount() {
    if (this.counted.version !== this.version) {
      let n = 0;
      for (const v of this.visitors.values()) if (v.online !== false) n++;
      this.counted = { version: this.version, online: n };
    }
    return this.counted.online;
  }

  // query returns the visitors that pass filter, in sort order. The answer is
  // kept until the model, the filter or the sort changes.
  // filter: {q, chat: 'all'|'chatting'|'idle', source: kind or '', device: kind or ''}
  // sort: 'site' | 'page' | 'name' | 'visits' | 'pages'
  query(filter, sort) {
    const key = `${this.version}|${sort}|${filter.q}|${filter.chat}|${filter.source}|${filter.device}`;
    if (this.queried.key === key) return this.queried.list;
    const words = String(filter.q || '')
      .toLowerCase()
      .split(/\s+/)
      .filter(Boolean);
    const list = [];
    for (const v of this.visitors.values()) {
      if (filter.chat === 'chatting' && !v.chat) continue;
      if (filter.chat === 'idle' && v.chat) continue;
      if (filter.source && (v.visit ? v.visit.source?.kind || 'direct' : '') !== filter.source) continue;
      if (filter.device && (v.visit?.device?.kind || '') !== filter.device) continue;
      if (words.length) {
        const hay = this.haystack(v);
        if (!words.every((w) => hay.includes(w))) continue;
      }
      list.push(v);
    }
    sortVisitors(list, sort);
    this.queried = { key, list };
    return list;
  }

  haystack(v) {
    let s = this.haystacks.get(v);
    if (s === undefined) {
      const loc = v.visit?.location;
      // What the row shows: an unnamed visitor goes by "Visitor" and the end of the id.
      s = [v.name || v.email ? '' : visitorTitle(v), v.name, v.email, v.page?.title, v.page?.url, loc?.city, loc?.country, loc?.country_code]
        .filter(Boolean)
        .join('\n')
        .toLowerCase();
      this.haystacks.set(v, s);
    }
    return s;
  }
}

// sortVisitors sorts in place; ties keep an order by id so that rows do not
// swap places between renders.
function sortVisitors(list, sort) {
  const time = (iso) => {
    const t = Date.parse(iso);
    return Number.isNaN(t) ? Infinity : t;
  };
  let keyed;
  switch (sort) {
    case 'name':
      keyed = list.map((v) => [v.name || v.email ? 0 : 1, visitorTitle(v), v]);
      keyed.sort((a, b) => a[0] - b[0] || collator.compare(a[1], b[1]) || byId(a[2], b[2]));
      break;
    case 'page': // longest on the current page first
      keyed = list.map((v) => [time(v.page?.since), v]);
      keyed.sort((a, b) => a[0] - b[0] || byId(a[1], b[1]));
      break;
    case 'visits':
      keyed = list.map((v) => [-(v.visits || 0), v]);
      keyed.sort((a, b) => a[0] - b[0] || byId(a[1], b[1]));
      break;
    case 'pages':
      keyed = list.map((v) => [-(v.visit?.page_count || 0), v]);
      keyed.sort((a, b) => a[0] - b[0] || byId(a[1], b[1]));
      break;
    default: // 'site': longest on the site first
      keyed = list.map((v) => [time(v.visit?.started_at), v]);
      keyed.sort((a, b) => a[0] - b[0] || byId(a[1], b[1]));
  }
  for (let i = 0; i < keyed.length; i++) list[i] = keyed[i][keyed[i].length - 1];
}

function byId(a, b) {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

// --- how a live visitor reads ---------------------------------------------

export function visitorTitle(v) {
  return v?.name || v?.email || `Visitor ${shortId(v?.id)}`;
}

// duration is a ticking clock: 0:45, 12:03, 1:02:03.
export function duration(fromIso, now = Date.now()) {
  const t = Date.parse(fromIso);
  if (Number.isNaN(t)) return '';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

export const SOURCE_KINDS = [
  ['search', 'Search'],
  ['social', 'Social'],
  ['campaign', 'Campaign'],
  ['referral', 'Referral'],
  ['direct', 'Direct'],
];

export const DEVICE_KINDS = [
  ['desktop', 'Desktop'],
  ['mobile', 'Mobile'],
  ['tablet', 'Tablet'],
  ['bot', 'Bot'],
];

const SOURCE_LABEL = Object.fromEntries(SOURCE_KINDS);
const DEVICE_LABEL = Object.fromEntries(DEVICE_KINDS);

// source is [kind, detail]: ["Search", "Google"], ["Campaign", "spring · newsletter"].
export function source(v) {
  if (!v?.visit) return ['', ''];
  const s = v.visit.source || {};
  const kind = s.kind || 'direct';
  const detail = [s.name, s.campaign, s.medium].filter(Boolean).filter((x, i, all) => all.indexOf(x) === i).join(' · ');
  return [SOURCE_LABEL[kind] || kind, detail];
}

// device is [browser, "OS · kind"].
export function device(v) {
  const d = v?.visit?.device || {};
  return [d.browser || '', [d.os, DEVICE_LABEL[d.kind] || d.kind].filter(Boolean).join(' · ')];
}

export function place(v) {
  const loc = v?.visit?.location;
  if (!loc) return '';
  return [loc.city, loc.country || loc.country_code].filter(Boolean).join(', ');
}

export function plural(n, one, many) {
  const k = Number(n) || 0;
  return `${k.toLocaleString('en-US')} ${k === 1 ? one : many}`;
}

// chatState says what the visitor is doing with the operators: chatting,
// waiting, invited… kind is a CSS modifier, text what is shown.
export function chatState(v, mark, meId) {
  if (v?.chat) {
    if (v.chat.status === 'waiting') return { kind: 'waiting', text: 'waiting' };
    const ops = v.chat.operators || [];
    const names = ops.map((o) => (o.id === meId ? 'you' : o.name || 'an operator'));
    return { kind: 'chatting', text: names.length ? `chatting with ${names.join(', ')}` : 'chatting' };
  }
  if (v && v.online === false) return { kind: 'offline', text: 'left?' };
  if (mark === 'invited') return { kind: 'invited', text: 'invited' };
  if (mark === 'declined') return { kind: 'declined', text: 'declined' };
  if (mark === 'accepted') return { kind: 'accepted', text: 'accepted' };
  return { kind: '', text: '' };
}
