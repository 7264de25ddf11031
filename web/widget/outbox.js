// Sending. A message shows at once as "sending" and is kept until the server
// has stored it. One that cannot be delivered now is sent again later with the
// same client_msg_id, which the server recognises, so a lost answer never
// duplicates a message; one the server refuses goes back into the composer,
// so nothing typed is lost.
import { stored } from '../shared/sent.js';
import { ApiError } from './api.js';
import { beginCreate, endCreate, receive, resync, started, syncMessages } from './chat.js';
import { forget, gone, invitationPath } from './invite.js';
import { S, MAX_CHARS } from './state.js';
import { T } from './text.js';
import { stopTyping } from './typing.js';
import { composerChanged, render, setError, stickToBottom, toBottom } from './view.js';

const FIRST_RETRY_MS = 2000;
const MAX_RETRY_MS = 30000;

let retryTimer = 0;
let retryDelay = FIRST_RETRY_MS;

// send takes the composer's text into the current conversation.
export function send() {
  const input = S.ui.input;
  const text = input.value.trim();
  if (!text) return;
  if ([...text].length > MAX_CHARS) return setError(T.tooLong);
  const c = S.current;
  stopTyping();
  input.value = '';
  composerChanged();
  setError('');
  c.queue(uuid(), text);
  render();
  toBottom();
  flush(c);
}

// flush sends a conversation's pending messages one at a time, in order.
async function flush(c) {
  if (c.flushing) return;
  c.flushing = true;
  try {
    let p;
    while ((p = c.pending.find((x) => !x.acked))) {
      let res;
      try {
        res = c.id ? await post(c, p) : await create(c, p);
      } catch (e) {
        if (e.retryable) {
          c.retrying(p);
          retryLater();
          break;
        }
        refused(c, p, e);
        continue;
      }
      p.acked = true;
      retryDelay = FIRST_RETRY_MS;
      if (res.message) stickToBottom(c, () => receive(c, res.message));
      else syncMessages(c).catch(() => {});
    }
  } finally {
    c.flushing = false;
    render();
  }
}

// post sends a message of a started conversation: over the socket while it is
// up, which saves a request, and over REST while it is down or when it was lost
// before the server answered (the same client_msg_id: stored once).
async function post(c, p) {
  const msg = { body: p.body, client_msg_id: p.cid };
  const f = await S.sock.sendMessage({ type: 'send', conversation_id: c.id, ...msg });
  if (!f) return S.api.post('/conversations/' + encodeURIComponent(c.id) + '/messages', msg);
  if (stored(f)) return { message: f.message };
  const e = f.error || {};
  throw new ApiError(f.status, e.code || 'http_' + f.status, e.message || T.failed);
}

function refused(c, p, e) {
  c.drop(p);
  const input = S.ui.input;
  input.value = p.body + (input.value ? '\n' + input.value : '');
  composerChanged();
  setError(e.message);
  if (c.id) resync(); // maybe the chat was closed meanwhile
}

// create starts the conversation with its first message, with what is known
// about the visitor and whom the chat is with; in a draft that answers an
// invitation, the message accepts it instead. A retry after a lost answer
// carries the same client_msg_id, and the server answers with the
// conversation the first attempt started. The list is not fetched meanwhile.
async function create(c, p) {
  const inv = c.invite;
  const body = { message: { body: p.body, client_msg_id: p.cid }, ...S.identity };
  const t = c.target;
  if (t.advertiser) body.advertiser = t.advertiser;
  if (t.listing) {
    body.listing = {
      id: t.listing,
      title: t.listingTitle || undefined,
      url: t.listing === S.pageTarget.listing ? location.href : undefined,
    };
  }
  if (!c.creating) {
    c.creating = true;
    beginCreate();
  }
  try {
    const res = inv
      ? await S.api.post(invitationPath(inv, 'accept'), { message: body.message })
      : await S.api.post('/conversations', body);
    c.data = res.conversation;
    started(c);
    forget(c);
    c.creating = false;
    endCreate();
    return res;
  } catch (e) {
    // Until the server has answered, the creation is still open.
    if (!e.retryable) {
      c.creating = false;
      endCreate();
      // The message goes back into the composer; sent again, it starts an
      // ordinary chat.
      if (inv && gone(e)) forget(c, false);
    }
    throw e;
  }
}

// flushAll retries everything pending: on a timer, when the socket is back,
// and when the browser says the network is.
export function flushAll() {
  clearTimeout(retryTimer);
  retryTimer = 0;
  S.convs.forEach(flush);
}

function retryLater() {
  if (retryTimer) return;
  retryTimer = setTimeout(flushAll, retryDelay);
  retryDelay = Math.min(retryDelay * 2, MAX_RETRY_MS);
}

function uuid() {
  const c = window.crypto;
  if (c && c.randomUUID) return c.randomUUID(); // only in secure contexts
  const b = c && c.getRandomValues ? c.getRandomValues(new Uint8Array(16)) : Array.from({ length: 16 }, () => (Math.random() * 256) | 0);
  b[6] = (b[6] & 15) | 64; // version 4
  b[8] = (b[8] & 63) | 128; // variant 1
  const hex = Array.from(b, (x) => (x + 256).toString(16).slice(1)).join('');
  return hex.replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
}
