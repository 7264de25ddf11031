// Invitations to chat: an operator's, which arrives over the socket, and a
// proactive rule's greeting, which the widget shows by itself. Either belongs
// to a draft conversation of its own (S.invited, with `invite` set); the first
// message written there accepts it (outbox.js) and the draft becomes the chat.
import { beginCreate, endCreate, openById, select, started, syncMessages } from './chat.js';
import { Conversation } from './conversation.js';
import { S, key, target } from './state.js';
import { session } from './storage.js';
import { render, setError } from './view.js';

// onInvitation handles the `invitation` frames (docs/protocol.md).
export function onInvitation(f) {
  const inv = f.invitation;
  if (!inv || !inv.id) return;
  if (f.event === 'shown') return showInvitation(inv);
  const c = S.invited;
  if (!c || c.invite.id !== inv.id) return;
  // Answered, maybe in another tab: that tab's answer holds here too.
  forget(c);
  if (f.event === 'accepted' && inv.conversation_id) openById(inv.conversation_id);
}

// showInvitation offers an invitation; a newer one replaces an older one.
function showInvitation(inv) {
  const old = S.invited;
  if (old && old.invite.id === inv.id) return;
  if (old) forget(old);
  const c = new Conversation(null, target({}));
  c.invite = inv;
  S.convs.push(c);
  S.invited = c;
  if (S.isOpen) toFront();
}

// toFront puts the invitation on screen, unless the visitor is in a live chat
// (the invitation then waits in its tab).
export function toFront() {
  const c = S.current;
  if (S.invited && !c.pending.length && (!c.id || c.closed)) select(S.invited);
}

// forget stops offering the invitation of draft c. A draft that has not been
// written in becomes an ordinary one, unless `keep` is false: then the
// invitation is dropped even from a message that is on its way.
export function forget(c, keep = true) {
  if (S.invited === c) S.invited = null;
  if (c.empty || !keep) c.invite = null;
}

export function invitationPath(inv, action) {
  return '/invitations/' + encodeURIComponent(inv.id) + '/' + action;
}

// gone: the server will not take an answer to this invitation any more
// (declined in another tab, or the operator was removed).
export function gone(e) {
  return e.status === 404 || e.status === 409;
}

// acceptInvitation says yes without a message: the chat opens with the
// operator's text. Meanwhile `flushing` holds back anything the visitor sends,
// which must go to the conversation, not accept the invitation a second time;
// the caller flushes the outbox afterwards.
export async function acceptInvitation() {
  const c = S.invited;
  if (!c || !c.empty || c.flushing) return;
  c.flushing = true;
  beginCreate();
  setError('');
  render();
  try {
    const res = await S.api.post(invitationPath(c.invite, 'accept'));
    c.data = res.conversation;
    started(c);
    forget(c);
    syncMessages(c).catch(() => {});
  } catch (e) {
    setError(e.message);
    if (gone(e)) forget(c, false);
  } finally {
    c.flushing = false;
    endCreate();
    render();
  }
}

// declineInvitation says no: the invitation goes away at once, and a failure
// to record that costs only a line in the console.
export function declineInvitation() {
  const c = S.invited;
  if (!c) return;
  const inv = c.invite;
  forget(c, false);
  render();
  S.api.post(invitationPath(inv, 'decline')).catch((e) => console.warn('Portico: ' + e.message));
}

// boxClosed declines a proactive greeting that the visitor closed unanswered.
export function boxClosed() {
  const c = S.invited;
  if (c && c.empty && c.invite.kind === 'proactive') declineInvitation();
}

// greet shows a proactive rule's greeting, at most once per browser session
// and never to a visitor who is chatting or invited; true when it is shown.
export async function greet(rule) {
  if (session.get(key('greeted')) || S.invited || chatting()) return false;
  session.set(key('greeted'), '1');
  let res;
  try {
    res = await S.api.post('/invitations', { rule_id: rule.id });
  } catch (e) {
    console.warn('Portico: ' + e.message);
    return false;
  }
  const inv = res.invitation;
  if (!inv || !inv.id || S.invited || chatting()) return false;
  showInvitation({ ...inv, kind: 'proactive', operator: null, message: inv.message || rule.greeting });
  return true;
}

// chatting: the visitor has a live chat, a first message on its way, or is
// writing one.
function chatting() {
  return S.convs.some((c) => (c.id && !c.closed) || c.pending.length) || !!S.ui.input.value.trim();
}
