// Brings the DOM built by ui.js in line with the state: which part of the
// panel shows, header, tabs, badges, and the composer's size and counter.
import { add, imageUrl, show, withLinks } from './dom.js';
import { follow } from './follow.js';
import { S, MAX_CHARS, isOnline } from './state.js';
import { T } from './text.js';

// view: what the panel shows for the current conversation. An invitation is
// answered in the chat, without the forms.
export function view() {
  const c = S.current;
  if (c.empty && !c.invite) {
    if (!isOnline(c) && S.settings.offline_form !== false) return 'offline';
    if (S.settings.prechat_form && !S.prechatDone && !S.identity.name && !S.identity.email) return 'prechat';
  }
  return 'chat';
}

export function render() {
  const ui = S.ui;
  if (!ui) return;
  follow(); // a chat started or listed may be with an advertiser not followed yet
  const c = S.current;
  const v = view();
  ui.root.classList.toggle('open', S.isOpen);
  show(ui.panel, S.isOpen);

  const unread = S.convs.reduce((n, x) => n + x.unread, 0);
  ui.badge.textContent = unread;
  show(ui.badge, !S.isOpen && unread > 0);
  ui.launcher.setAttribute('aria-label', S.isOpen ? T.close : unread ? T.open + ' (' + unread + ' ' + T.unread + ')' : T.open);
  ui.launcher.setAttribute('aria-expanded', S.isOpen);

  renderHeader(c);
  renderTabs();
  show(ui.conn, S.sock.dropped && !S.sock.up);
  show(ui.note, !isOnline(c) && !c.id && v === 'chat' && !c.owner);
  renderInvite(c);

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
  const ui = S.ui;
  const name = c.owner && c.owner.name;
  ui.operator.textContent = name || '';
  show(ui.operator, !!name);
  ui.context.textContent = name ? '' : c.target.listingTitle || (c.data && c.data.listing && c.data.listing.title) || '';
  setFace(ui.avatar, c.owner);
}

// setFace shows a person's photo in an avatar, with their initial until it
// has loaded or when there is none; hidden without a person.
function setFace(el, person) {
  const name = (person && person.name) || '';
  const photo = person && imageUrl(person.photo_url, S.cfg.base);
  show(el, !!name);
  const face = name + '|' + (photo || '');
  if (el.dataset.face === face) return; // keep the loaded photo
  el.dataset.face = face;
  el.textContent = name.trim().charAt(0).toUpperCase();
  if (photo) {
    const img = document.createElement('img');
    img.alt = '';
    img.onerror = () => img.remove(); // the initial shows through
    img.src = photo;
    el.appendChild(img);
  }
}

// renderInvite places the invitation: in the box above the messages of the
// draft on screen that answers it (a proactive greeting stays there once the
// chat has started, since the conversation does not contain it), or as a
// card above the launcher while the box is closed.
function renderInvite(c) {
  const ui = S.ui;
  const inBox = S.isOpen && c.invite && (!c.id || c.invite.kind === 'proactive') ? c : null;
  const at = inBox || (!S.isOpen && S.invited);
  show(ui.invite, !!at);
  show(ui.greeting, !!S.settings.greeting && !inBox);
  if (!at) return;
  const inv = at.invite;
  const where = inBox ? ui.scroll : ui.card;
  if (ui.invite.parentNode !== where) where.insertBefore(ui.invite, inBox ? ui.slot : null);
  if (ui.invite.dataset.id !== inv.id) {
    ui.invite.dataset.id = inv.id;
    ui.invite.dataset.kind = inv.kind;
    ui.inviteName.textContent = (inv.operator && inv.operator.name) || S.settings.title || T.chat;
    ui.inviteText.textContent = '';
    add(ui.inviteText, withLinks(String(inv.message || '')));
  }
  setFace(ui.invitePhoto, inv.operator);
  // The card offers to reply or decline; the box, for an operator's invitation
  // not yet written in, to accept (with what the composer holds) or decline.
  show(ui.inviteActions, !inBox || (inv.kind !== 'proactive' && at.empty));
  ui.inviteAccept.textContent = inBox ? T.accept : T.reply;
  ui.inviteAccept.disabled = ui.inviteDecline.disabled = at.flushing;
}

let tabs = []; // the conversations behind the tab buttons, in order

// tabAt is the conversation of the tab button with data-i="i".
export function tabAt(i) {
  return tabs[i];
}

function label(c) {
  const d = c.data || {};
  return (
    (d.listing && d.listing.title) ||
    c.target.listingTitle ||
    (d.advertiser && d.advertiser.name) ||
    (c.owner && c.owner.name) ||
    S.settings.title ||
    T.chat
  );
}

// Tabs appear when the visitor has more than one chat going, e.g. with several
// advertisers on a portal. They are rebuilt only when something in them
// changed, so that keyboard focus on a tab survives incoming messages.
function renderTabs() {
  const ui = S.ui;
  const list = S.convs.filter((c) => c === S.current || c === S.invited || (c.id && !c.closed) || c.pending.length);
  const sig = list.map((c) => label(c) + c.unread + (c === S.current)).join('|');
  if (ui.tabs.dataset.sig === sig) {
    tabs = list;
    return;
  }
  ui.tabs.dataset.sig = sig;
  const active = ui.host.shadowRoot.activeElement;
  const focused = active && ui.tabs.contains(active) ? active.dataset.i : null;
  ui.tabs.textContent = '';
  tabs = list;
  list.forEach((c, i) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'tab';
    b.dataset.i = i;
    const l = document.createElement('span');
    l.className = 'l';
    l.textContent = label(c);
    b.appendChild(l);
    if (c === S.current) b.setAttribute('aria-current', 'true');
    if (c.unread) {
      const n = document.createElement('span');
      n.className = 'n';
      n.textContent = c.unread;
      b.appendChild(n);
      b.setAttribute('aria-label', label(c) + ', ' + c.unread + ' ' + T.unread);
    }
    ui.tabs.appendChild(b);
    if (String(i) === focused) b.focus();
  });
  show(ui.tabs, list.length > 1);
}

export function applyColor(color) {
  if (typeof color !== 'string' || !CSS.supports('color', color)) return;
  S.ui.root.style.setProperty('--a', color);
  S.ui.root.style.setProperty('--at', readableOn(color));
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

// stickToBottom applies a change to conversation c and keeps the list
// scrolled to the end if it was there, so reading older messages is not disturbed.
export function stickToBottom(c, change) {
  const s = S.ui.scroll;
  const atBottom = s.scrollHeight - s.scrollTop - s.clientHeight < 60;
  change();
  if (c === S.current && atBottom) toBottom();
}

export function toBottom() {
  S.ui.scroll.scrollTop = S.ui.scroll.scrollHeight;
}

export function focusView() {
  const ui = S.ui;
  if (!S.isOpen) return;
  const v = view();
  if (v === 'prechat') ui.preName.focus();
  else if (v === 'offline') (ui.offForm.hidden ? ui.offThanks : ui.offName).focus();
  else if (S.current.closed) ui.newChat.focus();
  else ui.input.focus();
}

export function setError(msg) {
  S.ui.error.textContent = msg;
}

// composerChanged grows the composer with its text and shows the counter
// near the limit.
export function composerChanged() {
  const el = S.ui.input;
  el.style.height = '';
  // A hidden textarea has no height to measure.
  if (el.scrollHeight > el.clientHeight) el.style.height = Math.min(el.scrollHeight + 2, 120) + 'px';
  const n = [...el.value].length;
  S.ui.count.textContent = n.toLocaleString() + ' / ' + MAX_CHARS.toLocaleString();
  S.ui.count.classList.toggle('over', n > MAX_CHARS);
  show(S.ui.count, n > MAX_CHARS - 500);
  el.setAttribute('aria-invalid', n > MAX_CHARS);
}
