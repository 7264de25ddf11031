// The console's model: conversations, their messages and what the operator
// has seen. No DOM and no network here; the controller (console.js) feeds it
// from REST answers and socket frames, and the views read it.

const SEEN_LIMIT = 500; // conversations remembered in localStorage

export class State {
  constructor(me) {
    this.me = me;
    this.conversations = new Map(); // id → conversation object (as the API sends it)
    this.touched = new Map(); // id → clock value of its last change
    this.clock = 0;
    this.threads = new Map(); // id → Thread
    this.visitors = new Map(); // visitor id → {data, loading, error, fetchedAt}
    this.presence = new Map(); // visitor id → online, from presence frames
    this.liveVisitors = null; // the Visitors area's VisitorModel (lib/visitors.js), set by the console
    this.typing = new Map(); // conversation id → {label, until}
    this.notices = new Map(); // conversation id → "Taken by Ana" and the like
    this.fresh = new Set(); // waiting conversations announced and not yet looked at
    this.alerted = new Set(); // conversations that already rang
    this.claiming = new Set();
    this.closing = new Set();
    this.drafts = new Map(); // conversation id → composer text
    this.listsLoaded = false;
    this.listsError = '';
    this.selectedId = null;
    this.selectedError = '';
    this.returnTo = null; // the chat to go back to from an earlier conversation
    this.view = 'list'; // phone: which column shows: list | chat | visitor
    this.connection = 'connecting';
    this.seenKey = `portico.seen.${me.id}`;
    this.seen = readSeen(this.seenKey);
  }

  isAdmin() {
    return this.me.role === 'admin';
  }

  isMine(conv) {
    const id = this.me.id;
    return conv.owner_id === id || (conv.participants || []).some((p) => p.id === id);
  }

  canWrite(conv) {
    return conv.status === 'active' && this.isMine(conv);
  }

  // mayTake: a waiting chat is for this operator unless a routing rule gave
  // it to others.
  mayTake(conv) {
    const routed = conv.routed_to || [];
    return !routed.length || routed.includes(this.me.id);
  }

  isOwn(message) {
    return message.author?.type === 'operator' && message.author.id === this.me.id;
  }

  // upsert merges a conversation from the API or a frame into what is known.
  upsert(conv) {
    const old = this.conversations.get(conv.id);
    const merged = old ? { ...old, ...conv } : { ...conv };
    if (old) {
      merged.last_seq = Math.max(old.last_seq || 0, conv.last_seq || 0);
      // Frames may carry a conversation without its last message.
      if (!conv.last_message && old.last_message) merged.last_message = old.last_message;
      if (!conv.visitor && old.visitor) merged.visitor = old.visitor;
    }
    if (merged.status !== 'waiting') this.fresh.delete(conv.id);
    if (merged.status === 'closed') this.typing.delete(conv.id);
    this.conversations.set(conv.id, merged);
    this.touched.set(conv.id, ++this.clock);
    return merged;
  }

  // mark returns a point in time to hand to replaceLists: what changes after it is newer
  // than the answer of a request started now.
  mark() {
    return this.clock;
  }

  // replaceLists takes the answers of ?status=waiting and ?status=active as
  // the truth: a waiting or active chat missing from them was claimed by
  // someone else, closed or moved away while the console was not listening.
  // It returns the ids of conversations to look up one by one (the open one).
  // Chats that a socket event brought in after the request started (since) are newer than
  // the answer and stay.
  replaceLists(list, since = Infinity) {
    const ids = new Set(list.map((c) => c.id));
    const recheck = [];
    for (const [id, conv] of this.conversations) {
      if (ids.has(id) || (conv.status !== 'waiting' && conv.status !== 'active')) continue;
      if ((this.touched.get(id) || 0) > since) continue;
      if (id === this.selectedId) recheck.push(id);
      else {
        this.conversations.delete(id);
        this.fresh.delete(id);
      }
    }
    for (const conv of list) this.upsert(conv);
    this.listsLoaded = true;
    this.listsError = '';
    return recheck;
  }

  waiting() {
    // Newest first: the chat that just rang is at the top.
    return this.filter((c) => c.status === 'waiting').sort((a, b) => byTime(b.created_at, a.created_at));
  }

  mine() {
    // Oldest first, so that chats keep their place while the operator moves
    // between them.
    return this.filter((c) => c.status === 'active' && this.isMine(c)).sort((a, b) => byTime(a.created_at, b.created_at));
  }

  others() {
    if (!this.isAdmin()) return [];
    return this.filter((c) => c.status === 'active' && !this.isMine(c)).sort((a, b) => byTime(a.created_at, b.created_at));
  }

  filter(fn) {
    return [...this.conversations.values()].filter(fn);
  }

  // listOrder is the order of the chats in the left column (Alt+↑/↓).
  listOrder() {
    return [...this.waiting(), ...this.mine(), ...this.others()].map((c) => c.id);
  }

  thread(id) {
    let t = this.threads.get(id);
    if (!t) {
      t = {
        messages: new Map(), // seq → message
        upTo: 0, // every seq in 1..upTo is here
        maxSeq: 0,
        loaded: false,
        loading: null,
        error: '',
        stale: false,
        pending: new Map(), // client_msg_id → {client_msg_id, body, state, error, tries}
      };
      this.threads.set(id, t);
    }
    return t;
  }

  // addMessages stores messages; complete=true says they answer
  // ?after=<upTo>, so nothing is missing up to the highest one.
  // It returns true when a gap shows that messages were missed.
  addMessages(convId, messages, complete = false) {
    const t = this.thread(convId);
    let top = 0;
    for (const m of messages) {
      top = Math.max(top, m.seq);
      if (t.messages.has(m.seq)) continue;
      t.messages.set(m.seq, m);
      t.maxSeq = Math.max(t.maxSeq, m.seq);
      if (m.client_msg_id) t.pending.delete(m.client_msg_id);
      if (m.author?.type === 'visitor') this.typing.delete(convId);
      this.noteLast(convId, m);
    }
    if (complete) t.upTo = Math.max(t.upTo, top);
    while (t.messages.has(t.upTo + 1)) t.upTo++;
    return t.maxSeq > t.upTo;
  }

  noteLast(convId, m) {
    const conv = this.conversations.get(convId);
    if (!conv || m.seq < (conv.last_seq || 0)) return;
    conv.last_seq = m.seq;
    conv.last_message = { body: m.body, author_type: m.author?.type, created_at: m.created_at };
  }

  // orderedMessages lists a thread in seq order.
  orderedMessages(id) {
    const t = this.threads.get(id);
    if (!t) return [];
    return [...t.messages.values()].sort((a, b) => a.seq - b.seq);
  }

  // unread counts messages from others after the last one the operator saw
  // in this chat; messages known only by last_seq count as unread too.
  unread(conv) {
    const seen = this.seen.get(conv.id) || 0;
    const last = conv.last_seq || 0;
    if (last <= seen) return 0;
    let n = 0;
    let known = seen;
    const t = this.threads.get(conv.id);
    if (t) {
      for (const m of t.messages.values()) {
        if (m.seq <= seen) continue;
        if (!this.isOwn(m)) n++;
        known = Math.max(known, m.seq);
      }
    }
    return n + Math.max(0, last - known);
  }

  markSeen(id) {
    const conv = this.conversations.get(id);
    const t = this.threads.get(id);
    const seq = Math.max(conv?.last_seq || 0, t?.maxSeq || 0);
    if (seq <= (this.seen.get(id) || 0)) return false;
    this.seen.delete(id); // re-insert: the Map's order is the age of the entry
    this.seen.set(id, seq);
    this.saveSeen();
    return true;
  }

  saveSeen() {
    clearTimeout(this.seenTimer);
    this.seenTimer = setTimeout(() => {
      // Keep the newest entries (Map keeps insertion order; re-insert on set).
      const entries = [...this.seen].slice(-SEEN_LIMIT);
      try {
        localStorage.setItem(this.seenKey, JSON.stringify(Object.fromEntries(entries)));
      } catch {
        // storage full or disabled: unread counts reset on reload
      }
    }, 500);
  }

  typingLabel(id) {
    const t = this.typing.get(id);
    if (!t || t.until < Date.now()) return '';
    return t.label;
  }

  visitorOnline(visitorId, fallback) {
    return this.presence.has(visitorId) ? this.presence.get(visitorId) : !!fallback;
  }
}

function byTime(a, b) {
  return (Date.parse(a) || 0) - (Date.parse(b) || 0);
}

function readSeen(key) {
  try {
    const raw = JSON.parse(localStorage.getItem(key) || '{}');
    return new Map(Object.entries(raw).filter(([, v]) => Number.isFinite(v)));
  } catch {
    return new Map();
  }
}
