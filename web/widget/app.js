// Portico's visitor chat widget. The loader (widget.js) sets window.Portico to
// a queue with the page's configuration and injects this bundle after the page
// has loaded. Here: the visit, the conversations, sending with an outbox that
// survives network drops, the live socket, and the public Portico API.
import { createApi } from './api.js';
import { createSocket } from './socket.js';
import { Conversation } from './conversation.js';
import { buildUI } from './ui.js';
import { imageUrl, show } from './dom.js';
import { local, session } from './storage.js';
import { T } from './text.js';

const MAX_CHARS = 5000;
const TYPING_EVERY_MS = 3000;
const TYPING_IDLE_MS = 4000;
const TYPING_SHOWN_MS = 5000;

const stub = window.Portico;
const cfg = stub && stub._cfg;
const api = cfg && createApi(cfg.base);
const key = (name) => 'portico:' + cfg.account + ':' + name;
const pageTarget = cfg && target(cfg);

let ui = null;
let sock = null;
let settings = {};
// Whether someone can answer, by advertiser external id ('' = the account
// itself). Known for this page's target from the visit and presence frames;
// for another advertiser (a chat button on a results page) it is unknown and
// the chat is offered: the server routes it, to backup operators if need be.
const availability = new Map();
// Advertiser external id by answering account id, learnt when a chat is
// started, so that a chat listed later is matched to its advertiser.
let advertisers = readJSON('adv');
let isOpen = false;
let convs = []; // every conversation this page knows, drafts included
let current = null; // the one on screen; never null once started
let identity = {}; // {name, email} from Portico.identify() or the pre-chat form
let prechatDone = false;
let knownEmpty = false; // a brand-new visitor has no conversations to list
let firstList = true;
let creating = 0; // conversations whose creation is in flight
let resyncAfterCreate = false;
let resyncing = false;
let resyncAgain = false;
let retryTimer = 0;
let retryDelay = 2000;
let reauthAt = 0;
let typingSentAt = 0;
let typingIdle = 0;
let typingConv = '';
let seen = readJSON('seen'); // conversation id -> highest seq the visitor has seen
let visitorToken = '';

async function main() {
  const token = local.get(key('token'));
  const visit = await startVisit(token);
  if (!visit) return;
  knownEmpty = visit.visitor_token !== token;
  settings = visit.settings || {};
  availability.set(pageTarget.advertiser, visit.online !== false);

  ui = buildUI(handlers);
  applyColor(settings.color);
  ui.title.textContent = settings.title || T.chat;
  ui.panel.setAttribute('aria-label', settings.title || T.chat);
  if (settings.greeting) {
    ui.greeting.firstChild.textContent = settings.greeting;
    show(ui.greeting, true);
  }
  current = draftFor(pageTarget);

  sock = createSocket(wsUrl, { onUp: resync, onFrame, onChange: render, onUnauthorized: reauthorize });
  sock.connect();
  // Catch up once the socket is open, so that nothing falls between the two;
  // without a socket within 3 s, load over REST alone.
  setTimeout(() => firstList && !resyncing && resync(), 3000);
  publishApi();

  window.addEventListener('online', wake);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState !== 'visible') return;
    wake();
    markRead(current);
    render();
  });

  if (session.get(key('open'))) open(false);
  else autoOpen();
  render();
}

// ---- visit -------------------------------------------------------------

async function startVisit(token) {
  const body = {
    account: cfg.account,
    page: { url: location.href, title: document.title, referrer: document.referrer },
  };
  if (token) body.visitor_token = token;
  if (cfg.advertiser) body.advertiser = cfg.advertiser;
  if (cfg.listing) body.listing = { id: cfg.listing, title: cfg.listingTitle || undefined, url: location.href };
  for (let delay = 2000; ; delay = Math.min(delay * 2, 60000)) {
    try {
      const visit = await api.post('/visits', body);
      visitorToken = visit.visitor_token;
      api.setToken(visitorToken);
      local.set(key('token'), visitorToken);
      return visit;
    } catch (e) {
      if (e.status === 401 && body.visitor_token) {
        delete body.visitor_token; // a stale token: start over as a new visitor
      } else if (!e.retryable) {
        console.warn('Portico: ' + e.message);
        return null;
      } else {
        await sleep(delay);
      }
    }
  }
}

// The socket was refused with 4401: get a fresh token once a minute at most.
async function reauthorize() {
  if (Date.now() - reauthAt < 60000) return;
  reauthAt = Date.now();
  if (await startVisit(visitorToken)) sock.connect();
}

function wsUrl() {
  return cfg.base.replace(/^http/, 'ws') + '/api/v1/widget/ws?token=' + encodeURIComponent(visitorToken);
}

// ---- public API ----------------------------------------------------------

function publishApi() {
  window.Portico = {
    _cfg: cfg,
    _started: true,
    open: () => open(true),
    close,
    identify,
    openChat,
    _debug: { socket: () => sock && sock.raw() },
  };
  for (const [name, args] of stub._q || []) {
    try {
      window.Portico[name](...args);
    } catch (e) {
      console.warn('Portico: ' + name + ' failed', e);
    }
  }
}

// identify remembers who the visitor is; it is sent when the next
// conversation is created and fills in the forms.
function identify(who) {
  if (!who) return;
  for (const k of ['name', 'email']) {
    if (typeof who[k] === 'string' && who[k].trim()) identity[k] = who[k].trim();
  }
  ui.preName.value = ui.offName.value = identity.name || '';
  ui.preEmail.value = ui.offEmail.value = ui.trEmail.value = identity.email || '';
  render();
}

function openChat(t) {
  const to = target(t || {});
  select(findOpen(to) || draftFor(to));
  open(true);
}

function open(focus) {
  isOpen = true;
  session.set(key('open'), '1');
  session.set(key('auto'), '1');
  markRead(current);
  render();
  toBottom();
  if (focus) focusView();
}

function close() {
  isOpen = false;
  session.set(key('open'), '');
  render();
}

// Auto-open once per browser session, and not on a phone, where the open box
// covers the whole page the visitor came to read.
function autoOpen() {
  const secs = Number(settings.auto_open_after_seconds);
  if (!(secs > 0) || session.get(key('auto')) || matchMedia('(max-width: 480px)').matches) return;
  setTimeout(() => {
    if (!session.get(key('auto'))) open(false);
  }, secs * 1000);
}

// ---- conversations -------------------------------------------------------

function target(t) {
  return {
    advertiser: String(t.advertiser || ''),
    listing: String(t.listing || ''),
    listingTitle: String(t.listingTitle || ''),
  };
}

function targetOf(data) {
  const l = data.listing || {};
  const a = data.advertiser;
  return target({ advertiser: (a && a.external_id) || advertisers[data.account_id], listing: l.id, listingTitle: l.title });
}

const byId = (id) => convs.find((c) => c.id === id);

// findOpen: the most recent open conversation with the advertiser of `t`.
function findOpen(t) {
  return latest(convs.filter((c) => c.id && !c.closed && c.advertiser === t.advertiser));
}

function latest(list) {
  const when = (c) => (c.data.last_message && c.data.last_message.created_at) || c.data.created_at || '';
  return list.sort((a, b) => (when(a) < when(b) ? 1 : -1))[0];
}

function draftFor(t) {
  let c = convs.find((x) => !x.data && x.target.advertiser === t.advertiser && x.target.listing === t.listing);
  if (!c) convs.push((c = new Conversation(null, t)));
  return c;
}

function upsert(data) {
  let c = byId(data.id);
  if (c) {
    c.data = { ...c.data, ...data };
  } else {
    c = new Conversation(data, targetOf(data));
    // Without a record of what was read, messages from before this page
    // do not count as unread; a chat that starts later is all new.
    c.seen = data.id in seen ? seen[data.id] : firstList ? data.last_seq || 0 : 0;
    convs.push(c);
  }
  return c;
}

function select(c) {
  if (c === current) return;
  stopTyping();
  current = c;
  // Drafts nobody wrote in are forgotten once they are off screen.
  convs = convs.filter((x) => x === c || !x.empty);
  show(ui.trButton, true);
  show(ui.trForm, false);
  ui.trStatus.textContent = '';
  markRead(c);
  render();
  toBottom();
}

function newChat() {
  select(draftFor(current.target));
  focusView();
}

// resync brings the list and every open conversation up to date from the
// database: after each (re)connect, and when an event names a conversation
// this page does not know.
async function resync() {
  if (resyncing) {
    resyncAgain = true;
    return;
  }
  resyncing = true;
  try {
    do {
      resyncAgain = false;
      await refreshList();
      await Promise.all(convs.filter((c) => c.id && (!c.closed || c === current)).map(syncMessages));
    } while (resyncAgain);
  } catch (e) {
    // Offline: the next reconnect tries again.
  }
  resyncing = false;
  render();
  flushAll();
}

async function refreshList() {
  // A conversation being created would show up twice; list it afterwards.
  if (creating) {
    resyncAfterCreate = true;
    return;
  }
  if (!knownEmpty) {
    const res = await api.get('/conversations');
    (res.conversations || []).forEach(upsert);
  }
  knownEmpty = false;
  // Show the chat with this page's advertiser; on a page without one, the
  // latest open chat.
  if (current.empty) {
    const c = findOpen(current.target) || (firstList && !current.target.advertiser && latest(convs.filter((x) => x.id && !x.closed)));
    if (c) select(c);
  }
  firstList = false;
}

// syncMessages fetches what came after the resume point. Overlap with the
// socket is harmless: messages are shown once per seq.
async function syncMessages(c) {
  if (c.syncing) {
    c.syncAgain = true;
    return;
  }
  c.syncing = true;
  try {
    let more;
    do {
      c.syncAgain = false;
      const res = await api.get('/conversations/' + encodeURIComponent(c.id) + '/messages?after=' + c.contig);
      const list = res.messages || [];
      stickToBottom(c, () => list.forEach((m) => receive(c, m)));
      if (list.length) c.caughtUp(list[list.length - 1].seq);
      more = res.has_more === true;
    } while (more || c.syncAgain);
  } finally {
    c.syncing = false;
    render();
  }
}

function receive(c, m) {
  if (!c.add(m)) return;
  const type = m.author && m.author.type;
  if (type === 'visitor') return;
  if (type === 'operator') c.typing = '';
  if (m.seq > c.seen) {
    if (visible(c)) markRead(c);
    else if (type === 'operator') c.unread++;
  }
}

function visible(c) {
  return isOpen && c === current && document.visibilityState === 'visible';
}

// markRead clears the unread count of the conversation on screen and
// remembers, across pages, how far the visitor has read.
function markRead(c) {
  if (!visible(c)) return;
  c.unread = 0;
  if (!c.id || c.lastSeq <= c.seen) return;
  c.seen = seen[c.id] = c.lastSeq;
  saveSeen();
}

function saveSeen() {
  const keep = {};
  for (const x of convs) if (x.id && x.id in seen) keep[x.id] = seen[x.id];
  seen = keep;
  local.set(key('seen'), JSON.stringify(seen));
}

function readJSON(name) {
  try {
    return (cfg && JSON.parse(local.get(key(name)))) || {};
  } catch (e) {
    return {};
  }
}

// ---- sending ---------------------------------------------------------------

function send() {
  const text = ui.input.value.trim();
  if (!text) return;
  if ([...text].length > MAX_CHARS) return setError(T.tooLong);
  const c = current;
  stopTyping();
  ui.input.value = '';
  composerChanged();
  setError('');
  c.queue(uuid(), text);
  render();
  toBottom();
  flush(c);
}

// flush sends a conversation's pending messages one at a time, in order. A
// message that cannot be delivered now stays queued and is sent again with the
// same client_msg_id, which the server recognises; one it refuses goes back
// into the composer so that nothing typed is lost.
async function flush(c) {
  if (c.flushing) return;
  c.flushing = true;
  try {
    let p;
    while ((p = c.pending.find((x) => !x.acked))) {
      let res;
      try {
        res = c.id
          ? await api.post('/conversations/' + encodeURIComponent(c.id) + '/messages', { body: p.body, client_msg_id: p.cid })
          : await create(c, p);
      } catch (e) {
        if (e.retryable) {
          c.retrying(p);
          retryLater();
          break;
        }
        c.drop(p);
        ui.input.value = p.body + (ui.input.value ? '\n' + ui.input.value : '');
        composerChanged();
        setError(e.message);
        if (c.id) resync(); // maybe the chat was closed meanwhile
        continue;
      }
      p.acked = true;
      retryDelay = 2000;
      if (res.message) stickToBottom(c, () => receive(c, res.message));
      else syncMessages(c).catch(() => {});
    }
  } finally {
    c.flushing = false;
    render();
  }
}

async function create(c, p) {
  const body = { message: { body: p.body, client_msg_id: p.cid }, ...identity };
  const t = c.target;
  if (t.advertiser) body.advertiser = t.advertiser;
  if (t.listing) {
    body.listing = {
      id: t.listing,
      title: t.listingTitle || undefined,
      url: t.listing === pageTarget.listing ? location.href : undefined,
    };
  }
  creating++;
  try {
    const res = await api.post('/conversations', body);
    c.data = res.conversation;
    seen[c.id] = 0;
    saveSeen();
    if (t.advertiser && !c.data.flagged && c.data.account_id && advertisers[c.data.account_id] !== t.advertiser) {
      advertisers[c.data.account_id] = t.advertiser;
      local.set(key('adv'), JSON.stringify(advertisers));
    }
    return res;
  } finally {
    creating--;
    if (!creating && resyncAfterCreate) {
      resyncAfterCreate = false;
      resync();
    }
  }
}

function flushAll() {
  clearTimeout(retryTimer);
  retryTimer = 0;
  convs.forEach(flush);
}

function retryLater() {
  if (retryTimer) return;
  retryTimer = setTimeout(flushAll, retryDelay);
  retryDelay = Math.min(retryDelay * 2, 30000);
}

function uuid() {
  const c = window.crypto;
  if (c && c.randomUUID) return c.randomUUID();
  const b = c && c.getRandomValues ? c.getRandomValues(new Uint8Array(16)) : Array.from({ length: 16 }, () => (Math.random() * 256) | 0);
  b[6] = (b[6] & 15) | 64;
  b[8] = (b[8] & 63) | 128;
  const hex = Array.from(b, (x) => (x + 256).toString(16).slice(1)).join('');
  return hex.replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
}

// ---- live events -------------------------------------------------------------

function wake() {
  if (sock) sock.wake();
  flushAll();
}

function onFrame(f) {
  if (f.type === 'message') onMessage(f.message);
  else if (f.type === 'conversation') onConversation(f);
  else if (f.type === 'typing') onTyping(f);
  else if (f.type === 'presence') availability.set(typeof f.advertiser === 'string' ? f.advertiser : pageTarget.advertiser, !!f.online);
  else return; // unknown frames are ignored, as the protocol asks
  render();
}

// Events about a conversation this page does not know yet (started in another
// tab, or by an operator) are answered by asking the server.
function unknownConversation() {
  if (creating) resyncAfterCreate = true;
  else resync();
}

function onMessage(m) {
  const c = m && byId(m.conversation_id);
  if (!c) return unknownConversation();
  stickToBottom(c, () => receive(c, m));
  if (c.gap) syncMessages(c).catch(() => {});
}

function onConversation(f) {
  const data = f.conversation;
  if (!data) return;
  if (!byId(data.id)) return unknownConversation();
  const c = upsert(data);
  if (f.event === 'claimed' && f.by && !c.data.owner) c.data.owner = f.by;
  if (c.closed) c.typing = '';
}

function onTyping(f) {
  const c = byId(f.conversation_id);
  if (!c || !f.author || f.author.type === 'visitor') return;
  c.typing = f.typing ? f.author.name || ' ' : '';
  clearTimeout(c.typingTimer);
  if (c.typing) {
    c.typingTimer = setTimeout(() => {
      c.typing = '';
      render();
    }, TYPING_SHOWN_MS);
  }
}

// The visitor's own typing is reported at most every 3 s, and its end after
// 4 s without a key or when the message is sent.
function typed() {
  const c = current;
  if (!c.id || c.closed || !ui.input.value) return stopTyping();
  const now = Date.now();
  if (now - typingSentAt > TYPING_EVERY_MS && sock.send({ type: 'typing', conversation_id: c.id, typing: true })) {
    typingSentAt = now;
    typingConv = c.id;
  }
  clearTimeout(typingIdle);
  typingIdle = setTimeout(stopTyping, TYPING_IDLE_MS);
}

function stopTyping() {
  clearTimeout(typingIdle);
  if (!typingSentAt) return;
  sock.send({ type: 'typing', conversation_id: typingConv, typing: false });
  typingSentAt = 0;
}

// ---- rendering -----------------------------------------------------------------

function isOnline(c) {
  return availability.get(c.advertiser) !== false;
}

// view: what the panel shows for the current conversation.
function view() {
  if (current.empty) {
    if (!isOnline(current) && settings.offline_form !== false) return 'offline';
    if (settings.prechat_form && !prechatDone && !identity.name && !identity.email) return 'prechat';
  }
  return 'chat';
}

function render() {
  if (!ui) return;
  const c = current;
  const v = view();
  ui.root.classList.toggle('open', isOpen);
  show(ui.panel, isOpen);

  const unread = convs.reduce((n, x) => n + x.unread, 0);
  ui.badge.textContent = unread;
  show(ui.badge, !isOpen && unread > 0);
  ui.launcher.setAttribute('aria-label', isOpen ? T.close : unread ? T.open + ' (' + unread + ' ' + T.unread + ')' : T.open);
  ui.launcher.setAttribute('aria-expanded', isOpen);

  renderHeader(c);
  renderTabs();
  show(ui.conn, sock.dropped && !sock.up);
  show(ui.note, !isOnline(c) && !c.id && v === 'chat');

  const focused = ui.host.shadowRoot.activeElement;
  show(ui.chat, v === 'chat');
  show(ui.prechat, v === 'prechat');
  show(ui.offline, v === 'offline');
  show(ui.composer, !c.closed);
  show(ui.ended, c.closed);
  // Focus in a part that was just hidden (say, the offline form when an
  // operator comes online) moves to what replaced it.
  if (focused && !focused.getClientRects().length) focusView();
  if (ui.slot.firstChild !== c.el) {
    ui.slot.textContent = '';
    ui.slot.appendChild(c.el);
  }
  ui.typing.textContent = c.typing.trim() ? c.typing + T.isTyping : T.typing;
  show(ui.typing, !!c.typing);
}

function renderHeader(c) {
  const owner = c.owner;
  const name = owner && owner.name;
  ui.operator.textContent = name || '';
  show(ui.operator, !!name);
  ui.context.textContent = name ? '' : c.target.listingTitle || (c.data && c.data.listing && c.data.listing.title) || '';
  show(ui.avatar, !!name);
  const photo = owner && imageUrl(owner.photo_url, cfg.base);
  const face = (name || '') + '|' + (photo || '');
  if (ui.avatar.dataset.face === face) return; // keep the loaded photo
  ui.avatar.dataset.face = face;
  ui.avatar.textContent = name ? name.trim().charAt(0).toUpperCase() : '';
  if (photo) {
    const img = document.createElement('img');
    img.alt = '';
    img.onerror = () => img.remove(); // the initial shows through
    img.src = photo;
    ui.avatar.appendChild(img);
  }
}

// Tabs appear when the visitor has more than one chat going, e.g. with several
// advertisers on a portal. They are rebuilt only when something in them changed,
// so that keyboard focus on a tab survives incoming messages.
function renderTabs() {
  const list = convs.filter((c) => c === current || (c.id && !c.closed) || c.pending.length);
  const label = (c) =>
    (c.data && c.data.listing && c.data.listing.title) ||
    c.target.listingTitle ||
    (c.data && c.data.advertiser && c.data.advertiser.name) ||
    (c.owner && c.owner.name) ||
    settings.title ||
    T.chat;
  const sig = list.map((c) => label(c) + c.unread + (c === current)).join('|');
  if (ui.tabs.dataset.sig === sig) return;
  ui.tabs.dataset.sig = sig;
  const focused = ui.tabs.contains(ui.host.shadowRoot.activeElement) ? ui.host.shadowRoot.activeElement.dataset.i : null;
  ui.tabs.textContent = '';
  list.forEach((c, i) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'tab';
    b.dataset.i = i;
    const l = document.createElement('span');
    l.className = 'l';
    l.textContent = label(c);
    b.appendChild(l);
    if (c === current) b.setAttribute('aria-current', 'true');
    if (c.unread) {
      const n = document.createElement('span');
      n.className = 'n';
      n.textContent = c.unread;
      b.appendChild(n);
      b.setAttribute('aria-label', label(c) + ', ' + c.unread + ' ' + T.unread);
    }
    b.onclick = () => {
      select(c);
      focusView();
    };
    ui.tabs.appendChild(b);
    if (String(i) === focused) b.focus();
  });
  show(ui.tabs, list.length > 1);
}

function applyColor(color) {
  if (typeof color !== 'string' || !CSS.supports('color', color)) return;
  ui.root.style.setProperty('--a', color);
  ui.root.style.setProperty('--at', readableOn(color));
}

// readableOn picks dark or white text for a background colour (hex only;
// other notations keep white).
function readableOn(color) {
  let hex = (/^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color) || [])[1];
  if (!hex) return '#fff';
  if (hex.length === 3) hex = hex.replace(/./g, '$&$&');
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return r * 0.299 + g * 0.587 + b * 0.114 > 170 ? '#1f2328' : '#fff';
}

function stickToBottom(c, change) {
  const s = ui.scroll;
  const atBottom = s.scrollHeight - s.scrollTop - s.clientHeight < 60;
  change();
  if (c === current && atBottom) toBottom();
}

function toBottom() {
  ui.scroll.scrollTop = ui.scroll.scrollHeight;
}

function focusView() {
  const v = view();
  if (!isOpen) return;
  if (v === 'prechat') ui.preName.focus();
  else if (v === 'offline') (ui.offForm.hidden ? ui.offThanks : ui.offName).focus();
  else if (current.closed) ui.newChat.focus();
  else ui.input.focus();
}

function setError(msg) {
  ui.error.textContent = msg;
}

function composerChanged() {
  const el = ui.input;
  el.style.height = '';
  // Grow with the text up to a limit; a hidden textarea has no height to measure.
  if (el.scrollHeight > el.clientHeight) el.style.height = Math.min(el.scrollHeight + 2, 120) + 'px';
  const n = [...el.value].length;
  ui.count.textContent = n.toLocaleString() + ' / ' + MAX_CHARS.toLocaleString();
  ui.count.classList.toggle('over', n > MAX_CHARS);
  show(ui.count, n > MAX_CHARS - 500);
  el.setAttribute('aria-invalid', n > MAX_CHARS);
}

// ---- forms and controls -------------------------------------------------------

const handlers = {
  toggle: () => (isOpen ? close() : open(true)),
  close: () => {
    close();
    ui.launcher.focus();
  },
  escape(e) {
    if (e.key !== 'Escape' || !isOpen) return;
    close();
    ui.launcher.focus();
  },
  input() {
    composerChanged();
    if (ui.error.textContent && [...ui.input.value].length <= MAX_CHARS) setError('');
    typed();
  },
  keydown(e) {
    // Enter sends, Shift+Enter is a new line; never while an IME is composing.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      send();
    }
  },
  send(e) {
    e.preventDefault();
    send();
    ui.input.focus();
  },
  prechat(e) {
    e.preventDefault();
    identify({ name: ui.preName.value, email: ui.preEmail.value });
    handlers.skip();
  },
  skip() {
    prechatDone = true;
    render();
    focusView();
  },
  offline: (e) => submitForm(e, ui.offError, async () => {
    const body = { name: ui.offName.value.trim(), email: ui.offEmail.value.trim(), body: ui.offBody.value.trim() };
    if ([...body.body].length > MAX_CHARS) throw new Error(T.tooLong);
    if (current.advertiser) body.advertiser = current.advertiser;
    await api.post('/offline-messages', body);
    show(ui.offForm, false);
    show(ui.offThanks, true);
    ui.offThanks.setAttribute('tabindex', '-1');
    ui.offThanks.focus();
  }),
  newChat,
  showTranscript() {
    show(ui.trButton, false);
    show(ui.trForm, true);
    ui.trEmail.value = ui.trEmail.value || identity.email || (current.data.visitor && current.data.visitor.email) || '';
    ui.trEmail.focus();
  },
  transcript: (e) => submitForm(e, ui.trStatus, async () => {
    await api.post('/conversations/' + encodeURIComponent(current.id) + '/transcript', { email: ui.trEmail.value.trim() });
    show(ui.trForm, false);
    ui.trStatus.textContent = T.transcriptSent;
  }),
};

// submitForm runs a form's request with its button disabled; a failure is
// shown in the form's error line and the fields keep what was typed.
async function submitForm(e, errorLine, run) {
  e.preventDefault();
  const button = e.target.querySelector('[type=submit]');
  button.disabled = true;
  errorLine.textContent = '';
  try {
    await run();
  } catch (err) {
    errorLine.textContent = err.message || T.failed;
  } finally {
    button.disabled = false;
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

if (cfg && !stub._started) {
  stub._started = true;
  main();
}
