// The visitor's own typing, reported to the operator: at most every 3 s while
// keys are pressed, and its end after 4 s without one or when the message is sent.
import { S } from './state.js';

const EVERY_MS = 3000;
const IDLE_MS = 4000;

let sentAt = 0;
let idle = 0;
let conversationId = '';

export function typed() {
  const c = S.current;
  if (!c.id || c.closed || !S.ui.input.value) return stopTyping();
  const now = Date.now();
  if (now - sentAt > EVERY_MS && S.sock.send({ type: 'typing', conversation_id: c.id, typing: true })) {
    sentAt = now;
    conversationId = c.id;
  }
  clearTimeout(idle);
  idle = setTimeout(stopTyping, IDLE_MS);
}

export function stopTyping() {
  clearTimeout(idle);
  if (!sentAt) return;
  S.sock.send({ type: 'typing', conversation_id: conversationId, typing: false });
  sentAt = 0;
}
