// The signed-in console: connects the model (State), the REST client, the
// live socket and the views, and holds every action the views can trigger.

import { api, ApiError, onUnauthorized, uuid } from './lib/api.js';
import { stored } from '../shared/sent.js';
import { beep, soundEnabled, TitleAlert } from './lib/alerts.js';
import { h } from './lib/dom.js';
import { visitorName } from './lib/format.js';
import { LiveSocket, operatorSocketURL } from './lib/socket.js';
import { State } from './lib/state.js';
import { ChatView } from './views/chat.js';
import { ListsView } from './views/lists.js';
import { Team } from './views/team.js';
import { closeChatDialog, mailApi, mailNav } from './views/mail.js';
import { confirmDialog, Toasts } from './views/overlays.js';
import { TopBar } from './views/topbar.js';
import { portalAuthNav } from './views/portal_auth_admin.js';
import { portalRoutingNav } from './views/portal_routing.js';
import { VisitorView } from './views/visitor.js';
import { Collaboration } from './collab.js';
import { VisitorsArea } from './visitors.js';

const TYPING_REFRESH_MS = 3000; // resend typing:true at most this often
const TYPING_IDLE_MS = 4000; // typing:false after this long without a key
const TYPING_SHOWN_MS = 6000; // hide "is typing" when typing:false never came
const VISITOR_REFRESH_MS = 30_000; // the visitor moves between pages; no event says so
const VISITOR_FRESH_MS = 5000; // switching chats re-reads a visitor older than this
const SEND_TRIES = 3; // automatic tries before the operator is asked
const CHAT_PATH = '/console/c/';

// Layout breakpoints, the same as in app.css.
const phone = matchMedia('(max-width: 759px)');
const wide = matchMedia('(min-width: 1100px)');

export class Console {
  constructor(root, me, { onSignedOut }) {
    this.onSignedOut = onSignedOut;
    this.state = new State(me);
    this.listeners = [];
    this.listsReq = 0;
    this.fetching = new Set();

    this.toasts = new Toasts();
    this.titleAlert = new TitleAlert('Portico');
    this.topbar = new TopBar(me, {
      setStatus: (status) => this.setStatus(status),
      toggleSound: () => this.toggleSound(),
      logout: () => this.logout(),
      openProfile: () => this.team.openProfile(),
      openTeam: () => this.team.openTeam(),
    });
    this.lists = new ListsView({
      select: (id) => this.select(id),
      reloadLists: () => this.loadLists(),
    });
    this.chat = new ChatView({
      claim: (id) => this.claim(id),
      closeChat: (id) => this.closeChat(id),
      send: (id, body) => this.send(id, body),
      retry: (id, cmid) => this.retry(id, cmid),
      discard: (id, cmid) => this.discard(id, cmid),
      typing: (id, text) => this.typing(id, text),
      showView: (view) => this.showView(view),
      back: () => this.back(),
      reloadThread: (id) => this.loadThread(id),
      returnToChat: () => this.returnToChat(),
    });
    this.visitor = new VisitorView({
      openEarlier: (conv) => this.openEarlier(conv),
      showView: (view) => this.showView(view),
      reloadVisitor: (id) => this.loadVisitor(id, true),
    });
    // Transfer and invite, colleague rooms and the chat history: collab.js.
    this.collab = new Collaboration(this);
    // Who is on the website now, invitations to chat: visitors.js.
    this.visitorsArea = new VisitorsArea(this);
    this.state.liveVisitors = this.visitorsArea.model;
    // Offline messages and categories live in views/mail.js.
    const spacer = this.topbar.el.querySelector('.spacer');
    if (spacer) spacer.after(mailNav(me, this.toasts));
    // Sign-in through the portal's own accounts: views/portal_auth_admin.js.
    if (spacer) spacer.after(portalAuthNav(me));
    // Widget settings and the portal's advertisers: views/portal_routing.js.
    if (spacer) spacer.after(portalRoutingNav(me));
    this.el = h(
      'div',
      { class: 'app' },
      this.topbar.el,
      this.topbar.conn,
      h('div', { class: 'columns' }, this.lists.el, this.chat.el, this.visitor.el),
      this.visitorsArea.el,
      this.collab.views,
      this.toasts.el,
    );
    root.replaceChildren(this.el);

    // Profile, team dialog, canned responses and routing: views/team.js.
    this.team = new Team(this);
    this.socket = new LiveSocket(operatorSocketURL(), {
      onHello: () => this.resync(),
      onFrame: (frame) => this.onFrame(frame),
      onState: (conn) => {
        this.state.connection = conn;
        this.invalidate();
      },
      // 4401 also comes when only the operator's role changed: ask before signing out.
      onUnauthorized: () => this.team.recheckSession(),
      onFailedOpen: () => this.checkSession(),
    });
    onUnauthorized(() => this.sessionEnded());
    // Browser tests close the socket through this to exercise reconnection.
    window.portico = { socket: () => this.socket.ws, visitors: () => this.visitorsArea.model };

    this.listen(window, 'keydown', (ev) => this.onKey(ev));
    this.listen(window, 'popstate', () => this.fromURL());
    this.listen(document, 'visibilitychange', () => this.invalidate());
    this.listen(phone, 'change', () => this.invalidate());
    this.timers = [
      setInterval(() => this.invalidate(), 30_000), // ages in the lists
      setInterval(() => this.refreshVisitor(false), VISITOR_REFRESH_MS),
    ];

    this.fromURL();
    this.loadLists();
    this.socket.start();
    this.invalidate();
  }

  listen(target, type, fn) {
    target.addEventListener(type, fn);
    this.listeners.push([target, type, fn]);
  }

  destroy() {
    if (this.destroyed) return;
    this.destroyed = true;
    this.stopTyping();
    this.socket.stop();
    this.visitorsArea.destroy();
    this.titleAlert.destroy();
    this.timers.forEach(clearInterval);
    clearTimeout(this.typingExpiry);
    for (const [target, type, fn] of this.listeners) target.removeEventListener(type, fn);
    onUnauthorized(() => {});
    window.portico = { socket: () => null };
  }

  // invalidate schedules one render for any number of changes made in the
  // same task.
  invalidate() {
    if (this.renderQueued || this.destroyed) return;
    this.renderQueued = true;
    queueMicrotask(() => {
      this.renderQueued = false;
      if (!this.destroyed) this.render();
    });
  }

  render() {
    const s = this.state;
    if (s.selectedId && this.chatVisible()) {
      s.markSeen(s.selectedId);
      s.fresh.delete(s.selectedId);
    }
    this.el.dataset.view = s.view;
    this.topbar.render(s);
    this.lists.render(s);
    this.chat.render(s);
    this.visitor.render(s);
    this.collab.render(s);
    this.visitorsArea.show(this.collab.area === 'visitors');
  }

  // chatVisible says whether the operator can see the open conversation,
  // which is what makes its messages count as read.
  chatVisible() {
    if (document.visibilityState !== 'visible') return false;
    return !phone.matches || this.state.view === 'chat';
  }

  // --- navigation -------------------------------------------------------

  fromURL() {
    const path = location.pathname;
    if (this.collab.fromURL(path)) return this.invalidate();
    const id = path.startsWith(CHAT_PATH) ? decodeURIComponent(path.slice(CHAT_PATH.length)) : null;
    this.select(id || null, { push: false });
  }

  select(id, { push = true, earlier = false } = {}) {
    const s = this.state;
    this.collab.showChats();
    if (id !== s.selectedId) {
      this.stopTyping();
      s.selectedError = '';
    }
    if (!earlier) s.returnTo = null;
    s.selectedId = id;
    s.view = id ? 'chat' : 'list';
    if (push) {
      const url = id ? CHAT_PATH + encodeURIComponent(id) : '/console/';
      if (location.pathname !== url) history.pushState(null, '', url);
    }
    if (id) {
      if (s.conversations.has(id)) this.openThread(id);
      else this.fetchConversation(id);
    }
    this.invalidate();
  }

  // back is the chat header's back button on a phone. It always leads to the
  // list (the browser's own back button walks the history of opened chats).
  back() {
    const from = this.state.selectedId;
    this.select(null);
    this.render();
    if (from) this.lists.focusItem(from);
  }

  showView(view) {
    this.state.view = view;
    if (view === 'visitor') this.refreshVisitor(false);
    this.render();
    // Move the focus into the column that just appeared (phone, drawer).
    if (!wide.matches) {
      const target =
        view === 'visitor'
          ? this.visitor.el.querySelector('.visitor-head button')
          : this.chat.el.querySelector('[data-testid="show-visitor"]');
      if (target) target.focus();
    }
  }

  openEarlier(conv) {
    const s = this.state;
    if (!s.conversations.has(conv.id)) s.upsert(conv);
    const from = s.selectedId;
    this.select(conv.id, { earlier: true });
    s.returnTo = from;
  }

  returnToChat() {
    const id = this.state.returnTo;
    if (id) this.select(id);
  }

  onKey(ev) {
    const s = this.state;
    if (ev.altKey && !ev.ctrlKey && !ev.metaKey && (ev.key === 'ArrowUp' || ev.key === 'ArrowDown')) {
      const order = s.listOrder();
      if (!order.length) return;
      ev.preventDefault();
      const i = order.indexOf(s.selectedId);
      const down = ev.key === 'ArrowDown';
      let next;
      if (i < 0) next = down ? 0 : order.length - 1;
      else next = Math.max(0, Math.min(order.length - 1, i + (down ? 1 : -1)));
      if (next === i) return;
      const typing = this.chat.composerFocused();
      this.select(order[next]);
      this.render();
      if (typing) this.chat.focusComposer();
      else this.lists.focusItem(order[next]);
      return;
    }
    if (ev.key === 'Escape' && !document.querySelector('dialog[open]') && s.view === 'visitor' && !wide.matches) {
      ev.preventDefault();
      this.showView('chat');
    }
  }

  // --- loading ----------------------------------------------------------

  // resync runs after every (re)connect: the socket is open, so nothing can
  // fall between it and these fetches (docs/protocol.md, "Resume").
  async resync() {
    const s = this.state;
    this.collab.resync();
    this.visitorsArea.resync();
    for (const t of s.threads.values()) if (t.loaded) t.stale = true;
    await this.loadLists();
    const id = s.selectedId;
    if (id && !this.destroyed) {
      if (s.conversations.has(id)) this.loadThread(id);
      else this.fetchConversation(id);
      this.refreshVisitor(true);
    }
  }

  async loadLists() {
    const s = this.state;
    const req = ++this.listsReq;
    if (s.listsError) {
      s.listsError = '';
      this.invalidate();
    }
    const since = s.mark();
    try {
      const [waiting, active] = await Promise.all([api.conversations('waiting'), api.conversations('active')]);
      if (req !== this.listsReq || this.destroyed) return;
      const hadLists = s.listsLoaded;
      const known = new Set(s.conversations.keys());
      const recheck = s.replaceLists([...(waiting?.conversations || []), ...(active?.conversations || [])], since);
      // A chat that started while the socket was down still rings.
      if (hadLists) for (const c of s.waiting()) if (!known.has(c.id)) this.announce(c);
      for (const id of recheck) this.fetchConversation(id);
      const sel = s.selectedId && s.conversations.get(s.selectedId);
      if (sel) this.loadVisitor(sel.visitor_id);
    } catch (err) {
      if (req !== this.listsReq || err.status === 401) return;
      s.listsError = err.message;
    }
    this.invalidate();
  }

  async fetchConversation(id) {
    const s = this.state;
    if (this.fetching.has(id)) return;
    this.fetching.add(id);
    this.invalidate();
    try {
      const { conversation } = await api.conversation(id);
      s.upsert(conversation);
      if (s.selectedId === id) this.openThread(id);
    } catch (err) {
      if (err.status === 401) return;
      const gone = err.status === 403 || err.status === 404;
      if (s.conversations.has(id)) {
        if (gone) s.notices.set(id, 'This chat is no longer available to you.');
      } else if (s.selectedId === id) {
        s.selectedError = gone ? 'This chat does not exist or is not yours to see.' : `Could not load the chat: ${err.message}`;
      }
    } finally {
      this.fetching.delete(id);
      this.invalidate();
    }
  }

  openThread(id) {
    const s = this.state;
    const t = s.thread(id);
    if (!t.loaded || t.stale) this.loadThread(id);
    const conv = s.conversations.get(id);
    // The visitor may have started another chat or moved on since the last
    // look: opening a chat refreshes the panel unless it is a few seconds old.
    if (conv) this.loadVisitor(conv.visitor_id, false, VISITOR_FRESH_MS);
  }

  // loadThread fetches what is missing after the contiguous part of a
  // thread, page after page, until it reaches the conversation's last_seq.
  loadThread(id) {
    const s = this.state;
    const t = s.thread(id);
    if (t.loading) {
      t.again = true; // a gap showed up meanwhile: one more round
      return t.loading;
    }
    t.error = '';
    t.loading = (async () => {
      try {
        for (let page = 0; page < 200; page++) {
          const after = t.upTo;
          const res = await api.messages(id, after);
          const messages = res?.messages || [];
          s.addMessages(id, messages, true);
          const conv = s.conversations.get(id);
          const target = Math.max(conv?.last_seq || 0, t.maxSeq);
          if (!messages.length || t.upTo <= after || t.upTo >= target) break;
        }
        t.loaded = true;
        t.stale = false;
      } catch (err) {
        if (err.status !== 401) t.error = `Could not load the messages: ${err.message}`;
      } finally {
        t.loading = null;
        this.invalidate();
        if (t.again && !this.destroyed) {
          t.again = false;
          this.loadThread(id);
        }
      }
    })();
    this.invalidate();
    return t.loading;
  }

  loadVisitor(visitorId, force = false, maxAge = VISITOR_REFRESH_MS) {
    if (!visitorId || this.destroyed) return;
    const s = this.state;
    let entry = s.visitors.get(visitorId);
    if (!entry) {
      entry = { data: null, error: '', loading: false, fetchedAt: 0 };
      s.visitors.set(visitorId, entry);
    }
    if (entry.loading || (!force && entry.data && Date.now() - entry.fetchedAt < maxAge)) return;
    entry.loading = true;
    api
      .visitor(visitorId)
      .then((data) => {
        entry.data = data;
        entry.error = '';
        entry.fetchedAt = Date.now();
        if (typeof data?.visitor?.online === 'boolean') s.presence.set(visitorId, data.visitor.online);
      })
      .catch((err) => {
        entry.error = err.message;
      })
      .finally(() => {
        entry.loading = false;
        this.invalidate();
      });
  }

  refreshVisitor(force) {
    const s = this.state;
    const conv = s.selectedId && s.conversations.get(s.selectedId);
    if (conv && document.visibilityState === 'visible') this.loadVisitor(conv.visitor_id, force);
  }

  checkSession() {
    // The socket's upgrade failed and browsers hide why; a 401 here ends the
    // session (through the api's 401 handler) instead of retrying forever.
    api.me().catch(() => {});
  }

  // --- live frames ------------------------------------------------------

  onFrame(frame) {
    if (this.visitorsArea.onFrame(frame)) return;
    if (this.collab.onFrame(frame)) return;
    switch (frame.type) {
      case 'message':
        if (frame.message) this.onMessage(frame.message);
        break;
      case 'conversation':
        if (frame.conversation && frame.conversation.id) this.onConversation(frame);
        break;
      case 'typing':
        this.onTyping(frame);
        break;
      case 'presence':
        this.onPresence(frame);
        break;
      case 'operator':
        this.team.onOperatorFrame(frame);
        if (frame.operator && frame.operator.id === this.state.me.id) {
          this.state.me = { ...this.state.me, ...frame.operator };
          this.invalidate();
        }
        break;
      default:
      // Unknown frames are ignored so that the server can add new ones.
    }
  }

  onMessage(m) {
    const s = this.state;
    const id = m.conversation_id;
    if (!s.conversations.has(id)) this.fetchConversation(id);
    const gap = s.addMessages(id, [m]);
    if (gap && s.thread(id).loaded) this.loadThread(id);
    this.invalidate();
  }

  onConversation({ event, conversation, by }) {
    const s = this.state;
    const old = s.conversations.get(conversation.id);
    const wasMine = !!old && s.isMine(old);
    const conv = s.upsert(conversation);
    this.team.onConversation(event, conv, by);
    const open = s.selectedId === conv.id;
    const byMe = !!by && by.id === s.me.id;
    const byName = (by && by.name) || 'another operator';

    if (event === 'created' && conv.status === 'waiting') this.announce(conv);
    // The visitor panel lists this visitor's conversations: re-read it.
    const entry = s.visitors.get(conv.visitor_id);
    if (entry) entry.fetchedAt = 0;
    const sel = s.selectedId && s.conversations.get(s.selectedId);
    if (sel && sel.visitor_id === conv.visitor_id) this.loadVisitor(conv.visitor_id, true);
    if (event === 'claimed') {
      if (byMe) s.notices.delete(conv.id);
      else if (open) s.notices.set(conv.id, `Taken by ${byName}`);
    }
    if (event === 'closed' && open && !byMe) {
      const byVisitor = by && by.id === conv.visitor_id;
      s.notices.set(conv.id, !by ? 'This chat was closed.' : byVisitor ? 'The visitor ended the chat.' : `Closed by ${byName}`);
    }
    if (event === 'transferred' || event === 'updated') {
      const mine = s.isMine(conv);
      if (mine && !wasMine && conv.status === 'active') {
        this.toasts.show(`The chat with ${visitorName(conv)} is now yours`);
        beep();
      } else if (wasMine && !mine && open) {
        s.notices.set(conv.id, `Transferred to ${conv.owner?.name || 'another operator'}`);
      }
    }
    this.invalidate();
  }

  announce(conv) {
    const s = this.state;
    if (s.alerted.has(conv.id) || !s.mayTake(conv)) return;
    s.alerted.add(conv.id);
    s.fresh.add(conv.id);
    beep();
    this.titleAlert.notify();
    // On a phone the list may be out of sight.
    if (phone.matches && s.view !== 'list') this.toasts.show(`New chat waiting: ${visitorName(conv)}`);
  }

  onTyping(frame) {
    const s = this.state;
    const author = frame.author || {};
    if (!frame.conversation_id || (author.type === 'operator' && author.id === s.me.id)) return;
    if (frame.typing) {
      const label = author.type === 'visitor' ? 'Visitor is typing…' : `${author.name || 'An operator'} is typing…`;
      s.typing.set(frame.conversation_id, { label, until: Date.now() + TYPING_SHOWN_MS });
      clearTimeout(this.typingExpiry);
      this.typingExpiry = setTimeout(() => this.invalidate(), TYPING_SHOWN_MS + 50);
    } else {
      s.typing.delete(frame.conversation_id);
    }
    this.invalidate();
  }

  onPresence(frame) {
    const s = this.state;
    if (!frame.visitor_id) return;
    s.presence.set(frame.visitor_id, !!frame.online);
    const conv = s.selectedId && s.conversations.get(s.selectedId);
    // Coming online usually means a new page: fetch where they are now.
    if (frame.online && conv && conv.visitor_id === frame.visitor_id) this.loadVisitor(frame.visitor_id, true);
    this.invalidate();
  }

  // --- actions ----------------------------------------------------------

  async claim(id) {
    const s = this.state;
    if (s.claiming.has(id)) return;
    s.claiming.add(id);
    this.invalidate();
    try {
      const { conversation } = await api.claim(id);
      s.upsert(conversation);
      s.notices.delete(id);
      if (s.selectedId === id) this.chat.focusComposer();
    } catch (err) {
      if (err.status === 409 && err.code === 'already_claimed') {
        const owner = err.body?.owner || err.body?.error?.owner || null;
        const name = owner?.name || 'another operator';
        this.toasts.show(`Already taken by ${name}`, 'warn');
        s.upsert({ id, status: 'active', owner_id: owner?.id ?? null, owner });
        if (s.selectedId === id) s.notices.set(id, `Taken by ${name}`);
      } else if (err.status !== 401) {
        this.toasts.show(`Could not claim the chat: ${err.message}`, 'error');
        this.loadLists(); // the chat may have changed under us
      }
    } finally {
      s.claiming.delete(id);
      this.invalidate();
    }
  }

  async closeChat(id) {
    const s = this.state;
    const conv = s.conversations.get(id) || { id };
    const { ok, categoryId } = await closeChatDialog(conv, s.me);
    if (!ok || this.destroyed) return;
    s.closing.add(id);
    this.invalidate();
    try {
      const { conversation } = await mailApi.close(id, categoryId);
      s.upsert(conversation);
      this.toasts.show('Chat closed');
      // The button that had the focus is gone; keep keyboard users in the chat.
      if (s.selectedId === id) this.chat.log.focus();
    } catch (err) {
      if (err.status !== 401) this.toasts.show(`Could not close the chat: ${err.message}`, 'error');
    } finally {
      s.closing.delete(id);
      this.invalidate();
    }
  }

  send(id, body) {
    const p = { client_msg_id: uuid(), body, state: 'sending', error: '', tries: 0, retriable: true };
    this.state.thread(id).pending.set(p.client_msg_id, p);
    this.stopTyping();
    this.deliver(id, p);
  }

  // deliver sends a message; the answer is the acknowledgement. Network and
  // server errors are retried with the same client_msg_id, which the server
  // uses to store the message once however often it arrives.
  async deliver(id, p) {
    const s = this.state;
    const t = s.thread(id);
    p.state = 'sending';
    p.tries++;
    this.invalidate();
    try {
      const res = await this.sendMessage(id, p);
      t.pending.delete(p.client_msg_id);
      if (res?.message && s.addMessages(id, [res.message]) && t.loaded) this.loadThread(id);
    } catch (err) {
      if (!t.pending.has(p.client_msg_id)) return; // the socket delivered it meanwhile
      if (err.retriable && p.tries < SEND_TRIES && !this.destroyed) {
        setTimeout(() => this.deliver(id, p), 1000 * 2 ** (p.tries - 1));
        return;
      }
      p.state = 'failed';
      p.error = err.message;
      p.retriable = err.retriable;
    }
    this.invalidate();
  }

  // sendMessage sends over the socket while it is connected, which saves a
  // request, and over REST while it is not or when it was lost before the
  // server answered. A 401 goes over REST too, which signs the operator out.
  async sendMessage(id, p) {
    const f = await this.socket.sendMessage({ type: 'send', conversation_id: id, body: p.body, client_msg_id: p.client_msg_id });
    if (!f || f.status === 401) return api.send(id, p.body, p.client_msg_id);
    if (stored(f)) return { message: f.message };
    const e = f.error || {};
    throw new ApiError(f.status, e.code || `http_${f.status}`, e.message || `The server answered ${f.status}.`, f);
  }

  retry(id, cmid) {
    const p = this.state.thread(id).pending.get(cmid);
    if (!p || p.state !== 'failed') return;
    p.tries = 0;
    this.deliver(id, p);
  }

  discard(id, cmid) {
    const t = this.state.thread(id);
    const p = t.pending.get(cmid);
    if (!p) return;
    t.pending.delete(cmid);
    if (this.state.selectedId === id) this.chat.editText(p.body);
    this.invalidate();
  }

  // typing tells the visitor that the operator is writing: typing:true at
  // most every few seconds while keys are pressed, typing:false after a
  // pause, on send, and when the operator moves to another chat.
  typing(id, text) {
    if (!text.trim()) {
      this.stopTyping();
      return;
    }
    const now = Date.now();
    if (this.typingConv !== id || now - this.typingSentAt > TYPING_REFRESH_MS) {
      if (this.typingConv && this.typingConv !== id) this.stopTyping();
      if (this.socket.send({ type: 'typing', conversation_id: id, typing: true })) {
        this.typingConv = id;
        this.typingSentAt = now;
      }
    }
    clearTimeout(this.typingIdle);
    this.typingIdle = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  stopTyping() {
    clearTimeout(this.typingIdle);
    if (!this.typingConv) return;
    this.socket.send({ type: 'typing', conversation_id: this.typingConv, typing: false });
    this.typingConv = null;
    this.typingSentAt = 0;
  }

  async setStatus(status) {
    const s = this.state;
    const before = s.me.status;
    s.me = { ...s.me, status };
    this.invalidate();
    try {
      const res = await api.setStatus(status);
      if (res?.operator) s.me = { ...s.me, ...res.operator };
    } catch (err) {
      s.me = { ...s.me, status: before };
      if (err.status !== 401) this.toasts.show(`Could not change your status: ${err.message}`, 'error');
    }
    this.invalidate();
  }

  toggleSound() {
    const on = !soundEnabled();
    this.team.setAlertSound(on); // kept in the profile
    if (on) beep(); // let the operator hear what an alert sounds like
    this.invalidate();
  }

  async logout() {
    try {
      await api.logout();
    } catch (err) {
      if (err.status !== 401) {
        this.toasts.show(`Could not sign out: ${err.message}`, 'error');
        return;
      }
    }
    this.destroy();
    history.replaceState(null, '', '/console/');
    this.onSignedOut();
  }

  sessionEnded() {
    if (this.destroyed) return;
    this.destroy();
    this.onSignedOut('Your session has ended. Please sign in again.');
  }
}
