// Live events from the socket (docs/protocol.md). The socket only says what
// happened; anything this page cannot place is fetched from the server.
import { byId, receive, resync, syncMessages, updated } from './chat.js';
import { markButtons } from './follow.js';
import { onInvitation } from './invite.js';
import { S } from './state.js';
import { render, stickToBottom } from './view.js';

const TYPING_SHOWN_MS = 5000;

export function onFrame(f) {
  if (f.type === 'message') onMessage(f.message);
  else if (f.type === 'conversation') onConversation(f);
  else if (f.type === 'typing') onTyping(f);
  else if (f.type === 'presence') onPresence(f);
  else if (f.type === 'invitation') onInvitation(f);
  else return; // unknown frames are ignored, as the protocol asks
  render();
}

function onMessage(m) {
  const c = m && byId(m.conversation_id);
  if (!c) return resync();
  stickToBottom(c, () => receive(c, m));
  if (c.gap) syncMessages(c).catch(() => {}); // a seq was skipped: fetch it
}

function onConversation(f) {
  const data = f.conversation;
  if (!data) return;
  if (!byId(data.id)) return resync();
  updated(data, f.event === 'claimed' && f.by);
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

// A presence frame names the portal advertiser it is about; one without is
// about the account itself, which answers only on pages without an advertiser.
function onPresence(f) {
  if (typeof f.advertiser === 'string') S.availability.set(f.advertiser, !!f.online);
  else if (!S.pageTarget.advertiser) S.availability.set(S.pageTarget.advertiser, !!f.online);
  markButtons();
}
