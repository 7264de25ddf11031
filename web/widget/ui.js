// The widget's DOM, built once inside a shadow root so that the host page's
// CSS cannot reach in and ours cannot leak out. The controller (app.js) only
// fills in text and shows or hides parts; `on` holds its event handlers.
import css from './widget.css';
import { h, icon } from './dom.js';
import { T } from './text.js';

const CHAT = 'M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2z';
const CLOSE = 'M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z';
const MINIMISE = 'M7.41 8.59 12 13.17l4.59-4.58L18 10l-6 6-6-6z';
const SEND = 'M2.01 21 23 12 2.01 3 2 10l15 2-15 2z';

// A wrapping <label> names its input for assistive technology.
function field(label, input) {
  return h('label', { class: 'f' }, h('span', {}, label), input);
}

function button(text, props) {
  return h('button', { type: 'button', class: 'btn', ...props }, text);
}

export function buildUI(on) {
  const u = {};

  u.badge = h('span', { class: 'badge', hidden: true });
  u.launcher = h(
    'button',
    { type: 'button', class: 'launcher', 'data-testid': 'launcher', 'aria-label': T.open, onclick: on.toggle },
    icon(CHAT, 'i-chat'),
    icon(CLOSE, 'i-close'),
    u.badge,
  );

  // Header: title, and the answering operator once someone has claimed the chat.
  u.avatar = h('span', { class: 'av', hidden: true, 'aria-hidden': 'true' });
  u.title = h('div', { class: 'title' });
  u.operator = h('span', { 'data-testid': 'operator-name', hidden: true });
  u.context = h('span', { 'data-testid': 'context' });
  const head = h(
    'header',
    { class: 'head' },
    u.avatar,
    h('div', { class: 'who' }, u.title, h('div', { class: 'sub' }, u.operator, u.context)),
    h('button', { type: 'button', class: 'icon', 'aria-label': T.close, onclick: on.close }, icon(MINIMISE)),
  );

  // An invitation: as a card above the launcher while the box is closed, and
  // above its draft's messages in the box (view.js moves it).
  u.invitePhoto = h('span', { class: 'av', 'aria-hidden': 'true' });
  u.inviteName = h('div', { class: 'nm invite-operator', 'data-testid': 'invite-operator' });
  u.inviteText = h('div', { class: 'b invite-message', 'data-testid': 'invite-message' });
  u.inviteAccept = button(T.reply, { class: 'btn invite-accept', 'data-testid': 'invite-accept', onclick: on.inviteAccept });
  u.inviteDecline = button(T.noThanks, { class: 'btn ghost invite-decline', 'data-testid': 'invite-decline', onclick: on.inviteDecline });
  u.inviteActions = h('div', { class: 'row' }, u.inviteAccept, u.inviteDecline);
  u.invite = h(
    'div',
    { class: 'invite', 'data-testid': 'invite', role: 'group', 'aria-label': T.invitation, hidden: true },
    u.invitePhoto,
    h('div', { class: 'msg operator' }, u.inviteName, u.inviteText),
    u.inviteActions,
  );
  u.card = h('div', { class: 'card', 'aria-live': 'polite' }, u.invite);

  u.tabs = h('nav', { class: 'tabs', 'aria-label': T.chats, hidden: true, onclick: on.tab });
  u.conn = h('div', { class: 'conn', 'data-testid': 'conn-state', role: 'status', hidden: true }, T.reconnecting);
  u.note = h('div', { class: 'note', hidden: true }, T.nobody);

  // Chat view: greeting, the current conversation's messages, typing line.
  u.greeting = h('div', { class: 'msg operator greet', hidden: true }, h('div', { class: 'b' }));
  u.slot = h('div', {});
  u.scroll = h('div', { class: 'scroll', role: 'log', 'aria-live': 'polite' }, u.greeting, u.slot);
  u.typing = h('div', { class: 'typing', 'data-testid': 'typing', hidden: true });

  u.input = h('textarea', {
    id: 'pc-in',
    rows: 1,
    placeholder: T.placeholder,
    'data-testid': 'composer',
    oninput: on.input,
    onkeydown: on.keydown,
  });
  u.count = h('div', { class: 'count', hidden: true });
  u.error = h('div', { class: 'err', role: 'alert' });
  u.composer = h(
    'form',
    { class: 'foot', onsubmit: on.send },
    h(
      'div',
      { class: 'compose' },
      h('label', { for: 'pc-in', class: 'sr' }, T.message),
      u.input,
      h('button', { type: 'submit', class: 'send', 'data-testid': 'send', 'aria-label': T.send }, icon(SEND)),
    ),
    u.count,
    u.error,
  );

  // Shown instead of the composer once the chat is closed.
  u.trEmail = h('input', { id: 'pc-tr', type: 'email', required: true, autocomplete: 'email', placeholder: T.email });
  u.trForm = h(
    'form',
    { class: 'row', hidden: true, onsubmit: on.transcript },
    h('label', { for: 'pc-tr', class: 'sr' }, T.email),
    u.trEmail,
    h('button', { type: 'submit', class: 'btn' }, T.send),
  );
  u.trButton = button(T.transcript, { class: 'btn ghost', onclick: on.showTranscript });
  u.trStatus = h('div', { class: 'info', role: 'status' });
  u.newChat = button(T.newChat, { onclick: on.newChat });
  u.ended = h(
    'div',
    { class: 'foot ended', hidden: true },
    h('p', {}, T.ended),
    u.newChat,
    u.trButton,
    u.trForm,
    u.trStatus,
  );
  u.chat = h('div', { class: 'view' }, u.scroll, u.typing, u.composer, u.ended);

  u.preName = h('input', { name: 'name', autocomplete: 'name', maxlength: 100 });
  u.preEmail = h('input', { name: 'email', type: 'email', autocomplete: 'email', maxlength: 254 });
  u.prechat = h(
    'form',
    { class: 'view form', 'data-testid': 'prechat-form', hidden: true, onsubmit: on.prechat },
    h('h2', {}, T.prechatTitle),
    h('p', {}, T.prechatText),
    field(T.nameOptional, u.preName),
    field(T.emailOptional, u.preEmail),
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'btn' }, T.start), button(T.skip, { class: 'btn ghost', onclick: on.skip })),
  );

  u.offName = h('input', { name: 'name', autocomplete: 'name', maxlength: 100 });
  u.offEmail = h('input', { name: 'email', type: 'email', required: true, autocomplete: 'email', maxlength: 254 });
  u.offBody = h('textarea', { name: 'message', required: true, rows: 5 });
  u.offError = h('div', { class: 'err', role: 'alert' });
  u.offForm = h(
    'form',
    { class: 'form', 'data-testid': 'offline-form', onsubmit: on.offline },
    h('h2', {}, T.offlineTitle),
    h('p', {}, T.offlineText),
    field(T.name, u.offName),
    field(T.email, u.offEmail),
    field(T.message, u.offBody),
    h('button', { type: 'submit', class: 'btn' }, T.sendMessage),
    u.offError,
  );
  u.offThanks = h('p', { class: 'form thanks', role: 'status', hidden: true }, T.thanks);
  u.offline = h('div', { class: 'view', hidden: true }, u.offForm, u.offThanks);

  u.panel = h(
    'div',
    { class: 'panel', role: 'dialog', 'data-testid': 'panel', hidden: true },
    head,
    u.tabs,
    u.conn,
    u.note,
    u.chat,
    u.prechat,
    u.offline,
  );

  u.root = h('div', { class: 'w', onkeydown: on.escape }, u.card, u.launcher, u.panel);
  u.host = document.createElement('portico-chat');
  const shadow = u.host.attachShadow({ mode: 'open' });
  shadow.append(h('style', {}, css), u.root);
  document.body.appendChild(u.host);
  return u;
}
