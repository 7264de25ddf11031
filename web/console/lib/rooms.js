// The model of colleague rooms: the operator's rooms with their unread
// counts and the messages of the rooms opened. No DOM and no network here.

export class Rooms {
  constructor(meId) {
    this.meId = meId;
    this.rooms = new Map(); // id → room, as the API sends it
    this.threads = new Map(); // id → thread
    this.loaded = false;
    this.loading = false;
    this.error = '';
    this.selectedId = null;
    this.selectedError = '';
    this.membersOpen = false;
    this.busy = new Set(); // room ids with a member change under way
  }

  // list is newest activity first.
  list() {
    const at = (r) => Date.parse(r.last_message?.created_at || r.created_at) || 0;
    return [...this.rooms.values()].sort((a, b) => at(b) - at(a) || (a.id < b.id ? 1 : -1));
  }

  totalUnread() {
    let n = 0;
    for (const r of this.rooms.values()) n += r.unread || 0;
    return n;
  }

  replace(list) {
    const ids = new Set(list.map((r) => r.id));
    for (const id of this.rooms.keys()) if (!ids.has(id)) this.rooms.delete(id);
    for (const r of list) this.upsert(r);
    this.loaded = true;
    this.error = '';
  }

  // upsert merges a room; a room from a live frame carries no unread count
  // of ours (fromFrame), so the one we have is kept.
  upsert(room, fromFrame = false) {
    const old = this.rooms.get(room.id);
    const merged = old ? { ...old, ...room } : { ...room };
    if (fromFrame) {
      merged.unread = old?.unread || 0;
      merged.last_read_seq = old?.last_read_seq || 0;
      if (!room.last_message && old?.last_message) merged.last_message = old.last_message;
    }
    if (old) merged.last_seq = Math.max(old.last_seq || 0, room.last_seq || 0);
    this.rooms.set(room.id, merged);
    return merged;
  }

  remove(id) {
    this.rooms.delete(id);
    this.threads.delete(id);
  }

  isAdmin(room) {
    return (room.members || []).some((m) => m.id === this.meId && m.admin);
  }

  // title is what a room is called: a group's name, or the colleague's in a direct room.
  title(room) {
    if (room.kind === 'group') return room.name || 'Group';
    const other = (room.members || []).find((m) => m.id !== this.meId);
    return other?.name || 'Direct chat';
  }

  thread(id) {
    let t = this.threads.get(id);
    if (!t) {
      t = { messages: new Map(), upTo: 0, loaded: false, loading: null, error: '', pending: new Map() };
      this.threads.set(id, t);
    }
    return t;
  }

  // addMessages stores messages; complete says they answer ?after=upTo.
  // It returns true when a seq was skipped (something to fetch).
  addMessages(id, messages, complete = false) {
    const t = this.thread(id);
    let top = 0;
    for (const m of messages) {
      top = Math.max(top, m.seq);
      if (m.client_msg_id) t.pending.delete(m.client_msg_id);
      if (t.messages.has(m.seq)) continue;
      t.messages.set(m.seq, m);
      const room = this.rooms.get(id);
      if (room && m.seq >= (room.last_seq || 0)) {
        room.last_seq = m.seq;
        room.last_message = m;
      }
    }
    if (complete) t.upTo = Math.max(t.upTo, top);
    while (t.messages.has(t.upTo + 1)) t.upTo++;
    let max = 0;
    for (const seq of t.messages.keys()) max = Math.max(max, seq);
    return max > t.upTo;
  }

  // received counts a live message as unread unless it is ours or being read.
  received(m, reading) {
    const room = this.rooms.get(m.room_id);
    if (!room) return;
    const known = this.threads.get(m.room_id)?.messages.has(m.seq);
    if (!known && !reading && m.author?.id !== this.meId && m.seq > (room.last_read_seq || 0)) room.unread = (room.unread || 0) + 1;
  }

  ordered(id) {
    const t = this.threads.get(id);
    return t ? [...t.messages.values()].sort((a, b) => a.seq - b.seq) : [];
  }
}
