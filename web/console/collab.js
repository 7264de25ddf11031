// Working together, in the console: transferring and inviting on the open
// chat (with the note left for the new owner), the Colleagues area (rooms
// between operators) and the History area (search, transcripts, export).
// The Console creates one and calls render(), onFrame(), fromURL() and
// resync(); everything else happens here.

import { beep } from './lib/alerts.js';
import { uuid } from './lib/api.js';
import { collabApi } from './lib/collab-api.js';
import { visitorName } from './lib/format.js';
import { Rooms } from './lib/rooms.js';
import { AreaNav } from './views/areas.js';
import { pickColleagues } from './views/colleague-picker.js';
import { ColleaguesView } from './views/colleagues.js';
import { HistoryView } from './views/history.js';
import { confirmDialog } from './views/overlays.js';
import { ParticipantsBar } from './views/participants.js';

const PATHS = { visitors: '/console/visitors', colleagues: '/console/colleagues', history: '/console/history' };
const SEND_TRIES = 3;

export class Collaboration {
  constructor(app) {
    this.app = app; // the Console: state, toasts, invalidate(), chat view
    this.area = 'chats';
    this.team = { busy: new Map(), notes: new Map(), fetched: new Set(), dismissed: new Set() };
    this.rooms = new Rooms(app.state.me.id);
    this.reading = new Map(); // room id → seq a read mark was sent for
    this.hist = {
      filters: {},
      words: [],
      results: [],
      cursor: '',
      loading: false,
      error: '',
      searched: false,
      operators: [],
      operatorsLoaded: false,
      accounts: new Map(), // account id → label, from the results seen
      selectedId: null,
      transcript: null,
      req: 0,
    };

    this.nav = new AreaNav((area) => this.go(area));
    this.participants = new ParticipantsBar({
      transfer: (id) => this.transfer(id),
      invite: (id) => this.invite(id),
      leave: (id) => this.leave(id),
      dismissNote: (id) => this.dismissNote(id),
    });
    this.colleagues = new ColleaguesView({
      open: (id) => this.openRoom(id),
      back: () => this.closeRoom(),
      newDirect: () => this.newDirect(),
      newGroup: () => this.newGroup(),
      send: (id, body) => this.sendRoom(id, body),
      retry: (id, cmid) => this.retryRoom(id, cmid),
      reload: () => this.loadRooms(),
      reloadRoom: (id) => this.loadRoomThread(id),
      toggleMembers: () => {
        this.rooms.membersOpen = !this.rooms.membersOpen;
        this.app.invalidate();
      },
      addMember: (id) => this.addMember(id),
      removeMember: (id, operatorId) => this.removeMember(id, operatorId),
      makeAdmin: (id, operatorId, admin) => this.makeAdmin(id, operatorId, admin),
      leave: (id) => this.leaveRoom(id),
    });
    this.history = new HistoryView({
      search: (filters) => this.search(filters),
      more: () => this.fetchHistory(),
      open: (id) => this.openTranscript(id),
      back: () => this.closeTranscript(),
      filterVisitor: (conv) => this.filterVisitor(conv),
      clearVisitor: () => this.clearVisitor(),
      reloadTranscript: (id) => this.openTranscript(id, { push: false }),
    });
    // The participants bar sits under the chat's header; the area switch
    // after the brand in the top bar.
    app.chat.head.after(this.participants.el, this.participants.note);
    const brand = app.topbar.el.querySelector('.brand');
    if (brand) brand.after(this.nav.el);
    else app.topbar.el.prepend(this.nav.el);
    this.views = [this.colleagues.el, this.history.el];
    this.loadRooms(); // for the unread badge
  }

  // --- areas and URLs ---------------------------------------------------

  // fromURL takes the area from the address; false means the chats area.
  fromURL(path) {
    for (const [area, base] of Object.entries(PATHS)) {
      if (path === base || path.startsWith(`${base}/`)) {
        const id = decodeURIComponent(path.slice(base.length + 1)) || null;
        this.enter(area);
        if (area === 'colleagues') this.openRoom(id, { push: false });
        else if (area === 'visitors') this.app.visitorsArea.fromURL(id);
        else this.openTranscript(id, { push: false });
        return true;
      }
    }
    this.area = 'chats';
    return false;
  }

  // showChats is called when a chat is selected.
  showChats() {
    this.area = 'chats';
  }

  go(area) {
    if (area === 'chats') {
      this.area = 'chats';
      const id = this.app.state.selectedId;
      this.push(id ? `/console/c/${encodeURIComponent(id)}` : '/console/');
    } else {
      this.enter(area);
      const id = area === 'colleagues' ? this.rooms.selectedId : area === 'visitors' ? this.app.visitorsArea.selectedId : this.hist.selectedId;
      this.push(PATHS[area] + (id ? `/${encodeURIComponent(id)}` : ''));
    }
    this.app.invalidate();
  }

  enter(area) {
    this.area = area;
    if (area === 'colleagues' && !this.rooms.loaded && !this.rooms.loading) this.loadRooms();
    if (area === 'history') {
      if (!this.hist.operatorsLoaded) this.loadOperators();
      if (!this.hist.searched && !this.hist.loading) this.search({});
    }
  }

  // showTranscript opens a closed chat in the History area (from the
  // Visitors area's earlier conversations).
  showTranscript(id) {
    this.enter('history');
    this.openTranscript(id);
  }

  push(url) {
    if (location.pathname !== url) history.pushState(null, '', url);
  }

  render(s) {
    this.app.el.dataset.area = this.area;
    this.nav.render(this.area, this.rooms.totalUnread());
    const conv = this.area === 'chats' && s.selectedId ? s.conversations.get(s.selectedId) : null;
    if (conv) this.fetchNote(conv);
    this.participants.render(s, conv, this.team);
    this.colleagues.render(this.rooms, this.area === 'colleagues');
    this.history.render(this.hist, s.me, this.area === 'history');
    this.markRoomRead();
  }

  // onFrame takes the frames of working together; true means handled.
  onFrame(frame) {
    switch (frame.type) {
      case 'room_message':
        if (frame.message) this.onRoomMessage(frame.message);
        return true;
      case 'room':
        if (frame.room) this.onRoom(frame);
        return true;
      case 'conversation':
        if (frame.conversation?.id) this.onConversation(frame);
        return false; // the console's own handler runs too

      default:
        return false;
    }
  }

  // onConversation runs before the console merges the frame: it keeps the
  // note of a transfer to me and tells me when an invitation or a colleague
  // leaving changed my part in a chat.
  onConversation({ event, conversation: c, by, note, from, transfer_id: transferId }) {
    const s = this.app.state;
    const me = s.me.id;
    const old = s.conversations.get(c.id);
    const wasIn = !!old && s.isMine(old);
    const isIn = c.owner_id === me || (c.participants || []).some((p) => p.id === me);
    const byMe = by?.id === me;
    if (event === 'transferred' && c.owner_id === me && note) {
      this.team.notes.set(c.id, { id: transferId, note, from: by?.name || from?.name || '' });
      this.team.fetched.add(c.id);
    }
    if (event === 'invited' && isIn && !wasIn && !byMe) {
      s.notices.delete(c.id); // "Transferred to …" no longer holds
      this.app.toasts.show(`${by?.name || 'A colleague'} invited you into the chat with ${visitorName(c)}`);
      beep();
    }
    if (event === 'left' && !byMe) {
      if (c.status === 'active' && c.owner_id === me && old?.owner_id !== me) {
        this.app.toasts.show(`${by?.name || 'Your colleague'} left: the chat with ${visitorName(c)} is yours now`);
      } else if (c.status === 'waiting') {
        // Back in the queue: ring like a new chat, once the console has it.
        s.alerted.delete(c.id);
        queueMicrotask(() => {
          const conv = s.conversations.get(c.id);
          if (conv?.status === 'waiting') this.app.announce(conv);
        });
      }
    }
  }

  resync() {
    this.loadRooms();
    const id = this.rooms.selectedId;
    if (id && this.rooms.thread(id).loaded) this.loadRoomThread(id);
  }

  // --- transfer, invite, leave ------------------------------------------

  async transfer(id) {
    const s = this.app.state;
    const conv = s.conversations.get(id);
    if (!conv || this.team.busy.has(id)) return;
    const picked = await pickColleagues({
      title: 'Transfer this chat',
      text: 'Your colleague becomes the owner of the chat and you leave it. The visitor sees who joins and leaves.',
      confirm: 'Transfer',
      meId: s.me.id,
      exclude: [conv.owner_id],
      withNote: true,
      testid: 'transfer-picker',
    });
    if (!picked) return;
    await this.busyWith(id, 'transfer', async () => {
      const res = await collabApi.transfer(id, picked.ids[0], picked.note);
      s.upsert(res.conversation);
      // The live frame may come before or after this answer; say it either way.
      const to = res.transfer?.to?.name || res.conversation.owner?.name || 'your colleague';
      if (res.conversation.owner_id !== s.me.id) s.notices.set(id, `Transferred to ${to}`);
      this.app.toasts.show(`Transferred to ${to}`);
    }, 'Could not transfer the chat');
  }

  async invite(id) {
    const s = this.app.state;
    const conv = s.conversations.get(id);
    if (!conv || this.team.busy.has(id)) return;
    const picked = await pickColleagues({
      title: 'Invite a colleague',
      text: 'Everyone in the chat can write; the visitor sees who joins.',
      confirm: 'Invite',
      meId: s.me.id,
      exclude: (conv.participants || []).map((p) => p.id),
      testid: 'invite-picker',
    });
    if (!picked) return;
    await this.busyWith(id, 'invite', async () => {
      const res = await collabApi.invite(id, picked.ids[0]);
      s.upsert(res.conversation);
      const who = (res.conversation.participants || []).find((p) => p.id === picked.ids[0]);
      this.app.toasts.show(`${who?.name || 'Your colleague'} joined the chat`);
    }, 'Could not invite');
  }

  async leave(id) {
    const s = this.app.state;
    const conv = s.conversations.get(id);
    if (!conv || this.team.busy.has(id)) return;
    const others = (conv.participants || []).filter((p) => p.id !== s.me.id);
    const ok = await confirmDialog({
      title: 'Leave this chat?',
      text: others.length
        ? conv.owner_id === s.me.id
          ? `${others[0].name || 'Your colleague'} takes the chat over.`
          : 'You stop taking part; the others carry on.'
        : 'You are the last one here: the chat goes back to the waiting list for anyone to claim.',
      confirm: 'Leave',
    });
    if (!ok) return;
    await this.busyWith(id, 'leave', async () => {
      const res = await collabApi.leave(id);
      s.upsert(res.conversation);
      s.notices.set(id, 'You left this chat.');
      this.app.toasts.show('You left the chat');
    }, 'Could not leave the chat');
  }

  async busyWith(id, what, fn, failure) {
    this.team.busy.set(id, what);
    this.app.invalidate();
    try {
      await fn();
    } catch (err) {
      if (err.status !== 401) this.app.toasts.show(`${failure}: ${err.message}`, 'error');
    } finally {
      this.team.busy.delete(id);
      this.app.invalidate();
    }
  }

  // fetchNote looks once per chat for a transfer note left for me, so that
  // it shows after a reload too.
  fetchNote(conv) {
    const me = this.app.state.me.id;
    if (conv.owner_id !== me || conv.status !== 'active' || this.team.fetched.has(conv.id)) return;
    this.team.fetched.add(conv.id);
    collabApi
      .transfers(conv.id)
      .then((res) => {
        const list = (res?.transfers || []).filter((t) => t.to?.id === me && t.note);
        const t = list[list.length - 1];
        if (t && !this.team.dismissed.has(t.id) && !this.team.notes.has(conv.id)) {
          this.team.notes.set(conv.id, { id: t.id, note: t.note, from: t.by?.name || t.from?.name || '' });
          this.app.invalidate();
        }
      })
      .catch(() => this.team.fetched.delete(conv.id));
  }

  dismissNote(id) {
    const n = this.team.notes.get(id);
    if (n) this.team.dismissed.add(n.id);
    this.team.notes.delete(id);
    this.app.invalidate();
    this.app.chat.focusComposer();
  }

  // --- rooms ------------------------------------------------------------

  async loadRooms() {
    const r = this.rooms;
    r.loading = true;
    try {
      const res = await collabApi.rooms();
      r.replace(res?.rooms || []);
      if (r.selectedId && !r.rooms.has(r.selectedId)) r.selectedError = 'This room does not exist or you are no longer in it.';
    } catch (err) {
      if (err.status !== 401) r.error = err.message;
    } finally {
      r.loading = false;
      this.app.invalidate();
    }
  }

  openRoom(id, { push = true } = {}) {
    const r = this.rooms;
    if (id !== r.selectedId) {
      r.membersOpen = false;
      r.selectedError = '';
    }
    r.selectedId = id;
    if (push) this.push(PATHS.colleagues + (id ? `/${encodeURIComponent(id)}` : ''));
    if (id) {
      if (!r.rooms.has(id)) {
        collabApi
          .room(id)
          .then((res) => {
            r.upsert(res.room);
            this.app.invalidate();
          })
          .catch((err) => {
            if (err.status === 401) return;
            r.selectedError = err.status === 404 ? 'This room does not exist or is not yours to see.' : `Could not load the room: ${err.message}`;
            this.app.invalidate();
          });
      }
      const t = r.thread(id);
      if (!t.loaded) this.loadRoomThread(id);
    }
    this.app.invalidate();
    if (id) queueMicrotask(() => this.colleagues.focusComposer());
  }

  closeRoom() {
    const from = this.rooms.selectedId;
    this.openRoom(null);
    if (from) {
      const b = this.colleagues.list.querySelector(`[data-room-id="${CSS.escape(from)}"]`);
      if (b) queueMicrotask(() => b.focus());
    }
  }

  loadRoomThread(id) {
    const r = this.rooms;
    const t = r.thread(id);
    if (t.loading) return t.loading;
    t.error = '';
    t.loading = (async () => {
      try {
        for (let page = 0; page < 200; page++) {
          const after = t.upTo;
          const res = await collabApi.roomMessages(id, after);
          const messages = res?.messages || [];
          r.addMessages(id, messages, true);
          if (!res?.has_more || t.upTo <= after) break;
        }
        t.loaded = true;
      } catch (err) {
        if (err.status !== 401) t.error = err.status === 404 ? 'This room is not yours to see.' : `Could not load the messages: ${err.message}`;
      } finally {
        t.loading = null;
        this.app.invalidate();
      }
    })();
    this.app.invalidate();
    return t.loading;
  }

  roomVisible(id) {
    return this.area === 'colleagues' && this.rooms.selectedId === id && document.visibilityState === 'visible';
  }

  onRoomMessage(m) {
    const r = this.rooms;
    if (!r.rooms.has(m.room_id)) {
      this.loadRooms(); // a room we have not heard of yet
      return;
    }
    const reading = this.roomVisible(m.room_id);
    r.received(m, reading);
    const gap = r.addMessages(m.room_id, [m]);
    if (gap && r.thread(m.room_id).loaded) this.loadRoomThread(m.room_id);
    if (m.author?.id !== r.meId && !reading) beep();
    this.app.invalidate();
  }

  onRoom({ room }) {
    const r = this.rooms;
    const member = (room.members || []).some((m) => m.id === r.meId);
    if (!member) {
      r.remove(room.id);
      if (r.selectedId === room.id) r.selectedError = 'You are no longer in this room.';
    } else {
      r.upsert(room, true);
    }
    this.app.invalidate();
  }

  // markRoomRead tells the server how far the open room has been read.
  markRoomRead() {
    const id = this.rooms.selectedId;
    const room = id && this.rooms.rooms.get(id);
    if (!room || !this.roomVisible(id)) return;
    const seq = Math.max(room.last_seq || 0, room.last_read_seq || 0);
    if (!room.unread && seq <= (room.last_read_seq || 0)) return;
    if ((this.reading.get(id) || 0) >= seq) return;
    this.reading.set(id, seq);
    room.unread = 0;
    room.last_read_seq = seq;
    collabApi.markRoomRead(id, seq).catch(() => this.reading.delete(id));
    this.app.invalidate();
  }

  sendRoom(id, body) {
    const p = { client_msg_id: uuid(), body, state: 'sending', error: '', tries: 0, retriable: true };
    this.rooms.thread(id).pending.set(p.client_msg_id, p);
    this.deliverRoom(id, p);
  }

  // deliverRoom posts a message and retries network and server errors with
  // the same client_msg_id, which the server stores once.
  async deliverRoom(id, p) {
    const t = this.rooms.thread(id);
    p.state = 'sending';
    p.tries++;
    this.app.invalidate();
    try {
      const res = await collabApi.sendRoom(id, p.body, p.client_msg_id);
      t.pending.delete(p.client_msg_id);
      if (res?.message && this.rooms.addMessages(id, [res.message]) && t.loaded) this.loadRoomThread(id);
    } catch (err) {
      if (!t.pending.has(p.client_msg_id)) return;
      if (err.retriable && p.tries < SEND_TRIES && !this.app.destroyed) {
        setTimeout(() => this.deliverRoom(id, p), 1000 * 2 ** (p.tries - 1));
        return;
      }
      p.state = 'failed';
      p.error = err.message;
    }
    this.app.invalidate();
  }

  retryRoom(id, cmid) {
    const p = this.rooms.thread(id).pending.get(cmid);
    if (!p || p.state !== 'failed') return;
    p.tries = 0;
    this.deliverRoom(id, p);
  }

  async newDirect() {
    const picked = await pickColleagues({ title: 'Message a colleague', confirm: 'Open', meId: this.rooms.meId, testid: 'direct-picker' });
    if (picked) await this.createRoom(picked.ids, '');
  }

  async newGroup() {
    const picked = await pickColleagues({
      title: 'New group',
      text: 'You are the group’s admin: you add and remove members.',
      confirm: 'Create group',
      meId: this.rooms.meId,
      multiple: true,
      withName: true,
      testid: 'group-picker',
    });
    if (picked) await this.createRoom(picked.ids, picked.name);
  }

  async createRoom(ids, name) {
    try {
      const res = await collabApi.createRoom(ids, name);
      this.rooms.upsert(res.room);
      this.enter('colleagues');
      this.openRoom(res.room.id);
    } catch (err) {
      if (err.status !== 401) this.app.toasts.show(`Could not open the room: ${err.message}`, 'error');
    }
  }

  async roomChange(id, fn, failure) {
    const r = this.rooms;
    r.busy.add(id);
    this.app.invalidate();
    try {
      const res = await fn();
      if (res?.room) r.upsert(res.room);
    } catch (err) {
      if (err.status !== 401) this.app.toasts.show(`${failure}: ${err.message}`, 'error');
    } finally {
      r.busy.delete(id);
      this.app.invalidate();
    }
  }

  async addMember(id) {
    const room = this.rooms.rooms.get(id);
    if (!room) return;
    const picked = await pickColleagues({
      title: 'Add a colleague',
      confirm: 'Add',
      meId: this.rooms.meId,
      exclude: (room.members || []).map((m) => m.id),
      testid: 'member-picker',
    });
    if (picked) await this.roomChange(id, () => collabApi.addRoomMember(id, picked.ids[0]), 'Could not add the colleague');
  }

  async removeMember(id, operatorId) {
    const room = this.rooms.rooms.get(id);
    const who = room?.members?.find((m) => m.id === operatorId);
    const ok = await confirmDialog({ title: `Remove ${who?.name || 'this member'}?`, text: 'They no longer see the room.', confirm: 'Remove', danger: true });
    if (!ok) return;
    await this.roomChange(
      id,
      async () => {
        await collabApi.removeRoomMember(id, operatorId);
        return collabApi.room(id);
      },
      'Could not remove the member',
    );
  }

  async makeAdmin(id, operatorId, admin) {
    await this.roomChange(id, () => collabApi.setRoomAdmin(id, operatorId, admin), 'Could not change the member');
  }

  async leaveRoom(id) {
    const ok = await confirmDialog({ title: 'Leave this group?', text: 'You no longer see its messages. A room admin can add you again.', confirm: 'Leave' });
    if (!ok) return;
    try {
      await collabApi.leaveRoom(id);
      this.rooms.remove(id);
      this.openRoom(null);
      this.app.toasts.show('You left the group');
    } catch (err) {
      if (err.status !== 401) this.app.toasts.show(`Could not leave the group: ${err.message}`, 'error');
    }
  }

  // --- history ----------------------------------------------------------

  async loadOperators() {
    this.hist.operatorsLoaded = true;
    try {
      const res = await collabApi.colleagues();
      this.hist.operators = (res?.operators || []).slice().sort((a, b) => String(a.name).localeCompare(String(b.name)));
    } catch {
      this.hist.operatorsLoaded = false; // the filter still works without names; try again next time
    }
    this.app.invalidate();
  }

  search(filters) {
    const h = this.hist;
    h.filters = { ...filters, visitor_id: h.filters.visitor_id || '', visitor_label: h.filters.visitor_label || '' };
    h.words = (filters.q || '').split(/[^\p{L}\p{N}]+/u).filter(Boolean);
    h.results = [];
    h.cursor = '';
    this.fetchHistory();
  }

  async fetchHistory() {
    const h = this.hist;
    const req = ++h.req;
    h.loading = true;
    h.error = '';
    this.app.invalidate();
    try {
      const { visitor_label: _, ...params } = h.filters;
      const res = await collabApi.history({ ...params, cursor: h.cursor });
      if (req !== h.req) return;
      const seen = new Set(h.results.map((r) => r.conversation.id));
      for (const r of res?.results || []) {
        if (seen.has(r.conversation.id)) continue;
        h.results.push(r);
        const c = r.conversation;
        if (!h.accounts.has(c.account_id)) h.accounts.set(c.account_id, c.advertiser?.name || (c.account_id === this.app.state.me.account_id ? 'This account' : c.account_id));
      }
      h.cursor = res?.next_cursor || '';
      h.searched = true;
    } catch (err) {
      if (req !== h.req || err.status === 401) return;
      h.error = err.message;
    } finally {
      if (req === h.req) {
        h.loading = false;
        this.app.invalidate();
      }
    }
  }

  filterVisitor(conv) {
    this.hist.filters.visitor_id = conv.visitor_id;
    this.hist.filters.visitor_label = visitorName(conv);
    this.search(this.history.values());
    this.closeTranscript();
  }

  clearVisitor() {
    this.hist.filters.visitor_id = '';
    this.hist.filters.visitor_label = '';
    this.search(this.history.values());
  }

  async openTranscript(id, { push = true } = {}) {
    const h = this.hist;
    h.selectedId = id;
    if (push) this.push(PATHS.history + (id ? `/${encodeURIComponent(id)}` : ''));
    if (!id) {
      h.transcript = null;
      this.app.invalidate();
      return;
    }
    const tr = { id, conv: null, messages: [], loading: true, error: '' };
    h.transcript = tr;
    this.app.invalidate();
    try {
      const { conversation } = await collabApi.conversation(id);
      let messages = [];
      for (let page = 0; page < 100; page++) {
        const res = await collabApi.messages(id, messages.length ? messages[messages.length - 1].seq : 0);
        messages = messages.concat(res?.messages || []);
        if (!res?.has_more) break;
      }
      if (h.transcript !== tr) return;
      tr.conv = conversation;
      tr.messages = messages;
    } catch (err) {
      if (h.transcript !== tr || err.status === 401) return;
      tr.error = err.status === 403 || err.status === 404 ? 'This chat does not exist or is not yours to read.' : `Could not load the transcript: ${err.message}`;
    } finally {
      tr.loading = false;
      this.app.invalidate();
    }
  }

  closeTranscript() {
    const from = this.hist.selectedId;
    this.openTranscript(null);
    if (from) {
      const b = this.history.results.querySelector(`[data-conversation-id="${CSS.escape(from)}"]`);
      if (b) queueMicrotask(() => b.focus());
    }
  }
}
