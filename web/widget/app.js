// Portico's visitor chat widget. The loader (widget.js) sets window.Portico to
// a queue with the page's configuration and injects this bundle after the page
// has loaded. Here: the visit, wiring the parts together, the public Portico
// API, and the controls' handlers.
import { draftFor, findOpen, listed, markRead, resync, select } from './chat.js';
import { show } from './dom.js';
import { acceptInvitation, boxClosed, declineInvitation, greet, onInvitation, toFront } from './invite.js';
import { follow } from './follow.js';
import { onFrame } from './live.js';
import { flushAll, send } from './outbox.js';
import { createSocket } from './socket.js';
import { S, MAX_CHARS, key, target } from './state.js';
import { local, session } from './storage.js';
import { T } from './text.js';
import { typed } from './typing.js';
import { buildUI } from './ui.js';
import { applyColor, composerChanged, focusView, render, setError, tabAt, toBottom } from './view.js';

const PHONE = '(max-width: 480px)';

let reauthAt = 0;
let sentIdentity = ''; // what the server was last told by identifyOnServer

async function main() {
  const token = local.get(key('token'));
  const visit = await startVisit(token);
  if (!visit) return;
  S.newVisitor = visit.visitor_token !== token;
  const settings = (S.settings = visit.settings || {});
  S.availability.set(S.pageTarget.advertiser, visit.online !== false);

  const ui = (S.ui = buildUI(handlers));
  applyColor(settings.color);
  ui.title.textContent = settings.title || T.chat;
  ui.panel.setAttribute('aria-label', settings.title || T.chat);
  ui.greeting.firstChild.textContent = settings.greeting || '';
  S.current = draftFor(S.pageTarget);

  S.sock = createSocket(wsUrl, { onUp: reconnected, onFrame, onChange: render, onUnauthorized: reauthorize });
  S.sock.connect();
  // Catch up once the socket is open, so that nothing falls between the two;
  // without a socket within 3 s, load over REST alone.
  setTimeout(() => listed() || resync(), 3000);
  publishApi();

  window.addEventListener('online', wake);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState !== 'visible') return;
    wake();
    markRead(S.current);
    render();
  });

  if (session.get(key('open'))) open(false);
  else autoOpen();
  if (visit.invitation) onInvitation({ event: 'shown', invitation: visit.invitation });
  else if (visit.proactive) greetLater(visit.proactive);
  render();
}

// ---- visit and connection ------------------------------------------------

async function startVisit(token) {
  const cfg = S.cfg;
  const body = {
    account: cfg.account,
    page: { url: location.href, title: document.title, referrer: document.referrer },
  };
  if (token) body.visitor_token = token;
  if (cfg.advertiser) body.advertiser = cfg.advertiser;
  if (cfg.listing) body.listing = { id: cfg.listing, title: cfg.listingTitle || undefined, url: location.href };
  for (let delay = 2000; ; delay = Math.min(delay * 2, 60000)) {
    try {
      const visit = await S.api.post('/visits', body);
      S.visitorId = visit.visitor_id;
      S.visitorToken = visit.visitor_token;
      S.api.setToken(S.visitorToken);
      local.set(key('token'), S.visitorToken);
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

function wsUrl() {
  const url = S.cfg.base.replace(/^http/, 'ws') + '/api/v1/widget/ws?resync=1&token=' + encodeURIComponent(S.visitorToken);
  // A listing page's socket follows its advertiser from the start (follow.js).
  return S.pageTarget.advertiser ? url + '&follow=' + encodeURIComponent(S.pageTarget.advertiser) : url;
}

// After every (re)connect: catch up on what was missed, send what waits.
function reconnected() {
  follow();
  resync();
  flushAll();
}

// The socket was refused with 4401: get a fresh token, once a minute at most.
async function reauthorize() {
  if (Date.now() - reauthAt < 60000) return;
  reauthAt = Date.now();
  if (await startVisit(S.visitorToken)) S.sock.connect();
}

// The network is back or the tab is visible again.
function wake() {
  S.sock.wake();
  flushAll();
}

// ---- public API ----------------------------------------------------------

function publishApi() {
  const queued = S.stub._q || [];
  window.Portico = {
    _cfg: S.cfg,
    _started: true,
    open: openBox,
    close,
    identify,
    openChat,
    _debug: { socket: () => S.sock.raw() },
  };
  for (const [name, args] of queued) {
    try {
      window.Portico[name](...args);
    } catch (e) {
      console.warn('Portico: ' + name + ' failed', e);
    }
  }
}

// identify remembers who the visitor is, tells the server, sends it again
// with the next conversation created, and fills in the forms.
function identify(who) {
  if (!who) return;
  const me = S.identity;
  for (const k of ['name', 'email']) {
    if (typeof who[k] === 'string' && who[k].trim()) me[k] = who[k].trim();
  }
  const ui = S.ui;
  ui.preName.value = ui.offName.value = me.name || '';
  ui.preEmail.value = ui.offEmail.value = ui.trEmail.value = me.email || '';
  render();
  identifyOnServer();
}

// identifyOnServer sends the known name and e-mail once. When the e-mail makes
// this visitor one with an earlier visitor, the answer names that visitor,
// and the socket reconnects to be theirs (the token keeps working).
async function identifyOnServer() {
  const who = {};
  for (const k of ['name', 'email']) if (S.identity[k]) who[k] = S.identity[k];
  const sig = JSON.stringify(who);
  if (sig === '{}' || sig === sentIdentity) return;
  sentIdentity = sig;
  try {
    const res = await S.api.post('/identify', who);
    if (res.visitor_id && res.visitor_id !== S.visitorId) {
      S.visitorId = res.visitor_id;
      S.sock.restart();
    }
  } catch (e) {
    sentIdentity = '';
    console.warn('Portico: ' + e.message);
  }
}

function openChat(t) {
  const to = target(t || {});
  select(findOpen(to) || draftFor(to));
  open(true);
}

// openBox is the visitor (or the page) opening the box: a waiting invitation
// comes to the front.
function openBox() {
  toFront();
  open(true);
}

// open opens the box; `remember` keeps it open on the next pages.
function open(focus, remember = true) {
  S.isOpen = true;
  if (remember) session.set(key('open'), '1');
  session.set(key('auto'), '1');
  markRead(S.current);
  render();
  toBottom();
  if (focus) focusView();
}

function close() {
  S.isOpen = false;
  session.set(key('open'), '');
  boxClosed();
  render();
}

// Auto-open once per browser session, and not on a phone, where the open box
// would cover the whole page the visitor came to read.
function autoOpen() {
  const secs = Number(S.settings.auto_open_after_seconds);
  if (!(secs > 0) || session.get(key('auto')) || matchMedia(PHONE).matches) return;
  setTimeout(() => {
    if (!session.get(key('auto'))) open(false);
  }, secs * 1000);
}

// greetLater shows a proactive rule's greeting after its delay on this page,
// once the visitor's chats are known and the page is in front: in the open box,
// or on a phone as the card above the launcher. The box opened for it does not
// stay open on the next pages.
function greetLater(rule) {
  const fire = async () => {
    if (!listed() || document.visibilityState !== 'visible') return setTimeout(fire, 1000);
    if (!(await greet(rule)) || matchMedia(PHONE).matches) return render();
    select(S.invited);
    open(false, false);
  };
  setTimeout(fire, Math.max(0, Number(rule.after_seconds) || 0) * 1000);
}

// ---- controls --------------------------------------------------------------

const handlers = {
  toggle: () => (S.isOpen ? close() : openBox()),
  // Accepting opens the box on the invitation. In the box, what the composer
  // holds is sent as the reply; a proactive greeting is accepted only by the
  // visitor's first message.
  inviteAccept() {
    const c = S.invited;
    if (!c) return;
    const inBox = S.isOpen;
    select(c);
    open(true);
    if (c.invite.kind === 'proactive') return;
    if (inBox && S.ui.input.value.trim()) send();
    else acceptInvitation().then(flushAll);
  },
  inviteDecline() {
    declineInvitation();
    if (!S.isOpen) S.ui.launcher.focus();
  },
  close() {
    close();
    S.ui.launcher.focus();
  },
  escape(e) {
    if (e.key !== 'Escape' || !S.isOpen) return;
    close();
    S.ui.launcher.focus();
  },
  tab(e) {
    const b = e.target.closest('.tab');
    if (!b) return;
    select(tabAt(+b.dataset.i));
    focusView();
  },
  input() {
    composerChanged();
    if (S.ui.error.textContent && [...S.ui.input.value].length <= MAX_CHARS) setError('');
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
    S.ui.input.focus();
  },
  prechat(e) {
    e.preventDefault();
    identify({ name: S.ui.preName.value, email: S.ui.preEmail.value });
    handlers.skip();
  },
  skip() {
    S.prechatDone = true;
    render();
    focusView();
  },
  offline: (e) =>
    submitForm(e, S.ui.offError, async () => {
      const ui = S.ui;
      const body = { name: ui.offName.value.trim(), email: ui.offEmail.value.trim(), body: ui.offBody.value.trim() };
      if ([...body.body].length > MAX_CHARS) throw new Error(T.tooLong);
      if (S.current.advertiser) body.advertiser = S.current.advertiser;
      await S.api.post('/offline-messages', body);
      show(ui.offForm, false);
      show(ui.offThanks, true);
      ui.offThanks.setAttribute('tabindex', '-1');
      ui.offThanks.focus();
    }),
  newChat() {
    select(draftFor(S.current.target));
    focusView();
  },
  showTranscript() {
    const ui = S.ui;
    const visitor = S.current.data.visitor;
    show(ui.trButton, false);
    show(ui.trForm, true);
    ui.trEmail.value = ui.trEmail.value || S.identity.email || (visitor && visitor.email) || '';
    ui.trEmail.focus();
  },
  transcript: (e) =>
    submitForm(e, S.ui.trStatus, async () => {
      const ui = S.ui;
      await S.api.post('/conversations/' + encodeURIComponent(S.current.id) + '/transcript', { email: ui.trEmail.value.trim() });
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

if (S.cfg && !S.stub._started) {
  S.stub._started = true;
  main();
}
