// The visitor's conversations: which one is on screen, keeping them up to date
// from the server, and what has been read.
import { Conversation } from './conversation.js';
import { show } from './dom.js';
import { S, saveJSON, target, visible } from './state.js';
import { stopTyping } from './typing.js';
import { render, stickToBottom, toBottom } from './view.js';

let firstList = true;
let resyncing = false;
let resyncAgain = false;
let creating = 0; // conversations whose creation is in flight
let resyncAfterCreate = false;
let wanted = ''; // a conversation to put on screen once the list has it

export const byId = (id) => S.convs.find((c) => c.id === id);

// findOpen: the most recent open conversation with the advertiser of `t`.
export function findOpen(t) {
  return latest(S.convs.filter((c) => c.id && !c.closed && c.advertiser === t.advertiser));
}

function latest(list) {
  const when = (c) => (c.data.last_message && c.data.last_message.created_at) || c.data.created_at || '';
  return list.sort((a, b) => (when(a) < when(b) ? 1 : -1))[0];
}

// draftFor: the not yet started conversation with `t`, made if needed. A
// draft that answers an invitation is not one: its first message accepts it.
export function draftFor(t) {
  let c = S.convs.find((x) => !x.data && !x.invite && x.target.advertiser === t.advertiser && x.target.listing === t.listing);
  if (!c) S.convs.push((c = new Conversation(null, t)));
  return c;
}

function targetOf(data) {
  const l = data.listing || {};
  const a = data.advertiser;
  return target({ advertiser: (a && a.external_id) || S.advertisers[data.account_id], listing: l.id, listingTitle: l.title });
}

function upsert(data) {
  let c = byId(data.id);
  if (c) {
    c.data = { ...c.data, ...data };
  } else {
    c = new Conversation(data, targetOf(data));
    // Without a record of what was read, messages from before this page
    // do not count as unread; a chat that starts later is all new.
    c.seen = data.id in S.seen ? S.seen[data.id] : firstList ? data.last_seq || 0 : 0;
    S.convs.push(c);
  }
  return c;
}

// updated takes a conversation object from a live event.
export function updated(data, by) {
  const c = upsert(data);
  if (by && !c.data.owner) c.data.owner = by;
  if (c.closed) c.typing = '';
}

export function select(c) {
  if (c === S.current) return;
  stopTyping();
  S.current = c;
  // Drafts nobody wrote in are forgotten once they are off screen, except
  // the one an invitation waits in.
  S.convs = S.convs.filter((x) => x === c || x === S.invited || !x.empty);
  const ui = S.ui;
  show(ui.trButton, true);
  show(ui.trForm, false);
  ui.trStatus.textContent = '';
  markRead(c);
  render();
  toBottom();
}

// While a conversation is being created the list is not fetched, or the new
// conversation could show up twice; it is fetched once no creation is open.
export function beginCreate() {
  creating++;
}

export function endCreate() {
  creating--;
  if (!creating && resyncAfterCreate) {
    resyncAfterCreate = false;
    resync();
  }
}

// resync brings the list and every open conversation up to date from the
// database: after each (re)connect, and when an event names a conversation
// this page does not know (started in another tab, or by an operator).
export async function resync() {
  if (creating) {
    resyncAfterCreate = true;
    return;
  }
  if (resyncing) {
    resyncAgain = true;
    return;
  }
  resyncing = true;
  try {
    do {
      resyncAgain = false;
      await refreshList();
      await Promise.all(S.convs.filter((c) => c.id && (!c.closed || c === S.current)).map(syncMessages));
    } while (resyncAgain);
  } catch (e) {
    // Offline: the next reconnect tries again.
  }
  resyncing = false;
  render();
}

export function listed() {
  return !firstList;
}

// openById puts a conversation on screen, fetching the list first when this
// page does not know it yet (an invitation accepted in another tab).
export function openById(id) {
  const c = byId(id);
  if (c) return select(c);
  wanted = id;
  resync();
}

async function refreshList() {
  // A visitor who just got their token has no conversations yet.
  if (!(firstList && S.newVisitor)) {
    const res = await S.api.get('/conversations');
    (res.conversations || []).forEach(upsert);
  }
  const w = wanted && byId(wanted);
  if (w) {
    wanted = '';
    select(w);
  }
  // Show the chat with this page's advertiser; on a page without one, the
  // latest open chat. An invitation on screen stays there.
  const cur = S.current;
  if (cur.empty && !cur.invite) {
    const c = findOpen(cur.target) || (firstList && !cur.target.advertiser && latest(S.convs.filter((x) => x.id && !x.closed)));
    if (c) select(c);
  }
  firstList = false;
}

// syncMessages fetches what came after the resume point. Overlap with the
// socket is harmless: messages are shown once per seq.
export async function syncMessages(c) {
  if (c.syncing) {
    c.syncAgain = true;
    return;
  }
  c.syncing = true;
  try {
    let more;
    do {
      c.syncAgain = false;
      const res = await S.api.get('/conversations/' + encodeURIComponent(c.id) + '/messages?after=' + c.contig);
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

// receive shows a message from the server and counts it as unread when the
// visitor is not looking.
export function receive(c, m) {
  if (!c.add(m)) return;
  const type = m.author && m.author.type;
  if (type === 'visitor') return;
  if (type === 'operator') c.typing = '';
  if (m.seq > c.seen) {
    if (visible(c)) markRead(c);
    else if (type === 'operator') c.unread++;
  }
}

// markRead clears the unread count of the conversation on screen and
// remembers, across pages, how far the visitor has read.
export function markRead(c) {
  if (!visible(c)) return;
  c.unread = 0;
  if (!c.id || c.lastSeq <= c.seen) return;
  c.seen = S.seen[c.id] = c.lastSeq;
  saveSeen();
}

// started records a conversation the visitor has just created.
export function started(c) {
  S.seen[c.id] = 0;
  saveSeen();
  const adv = c.target.advertiser;
  const account = c.data.account_id;
  if (adv && account && !c.data.flagged && S.advertisers[account] !== adv) {
    S.advertisers[account] = adv;
    saveJSON('adv', S.advertisers);
  }
}

function saveSeen() {
  const keep = {};
  for (const c of S.convs) if (c.id && c.id in S.seen) keep[c.id] = S.seen[c.id];
  S.seen = keep;
  saveJSON('seen', keep);
}
