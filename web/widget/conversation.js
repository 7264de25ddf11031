// One chat as the visitor sees it. The server's messages are kept in seq
// order and shown once each; the visitor's own messages that the server has
// not stored yet ("pending") follow them and are swapped for the server's copy
// when it arrives with the same client_msg_id, by REST answer or by socket.
import { h, withLinks } from './dom.js';
import { T } from './text.js';

export class Conversation {
  // data: the server's conversation object, null while this is a draft that
  // has no message yet. target: who the chat is with on a portal.
  constructor(data, target) {
    this.data = data;
    this.target = target; // {advertiser, listing, listingTitle}
    this.seqs = []; // seqs shown, ascending
    this.bySeq = new Map(); // seq -> element
    this.contig = 0; // every message up to this seq is shown: resume point
    this.pending = []; // {cid, body, el, acked}
    this.seen = 0; // highest seq the visitor has had in front of them
    this.unread = 0;
    this.typing = ''; // name of the operator typing, '' when nobody is
    this.typingTimer = 0;
    this.syncing = false; // a fetch of new messages is under way
    this.syncAgain = false;
    this.flushing = false; // the outbox is sending this conversation's messages
    this.creating = false; // the first message is creating the conversation
    this.invite = null; // the invitation this draft answers; its first message accepts it
    this.el = h('div', { class: 'msgs' });
  }

  get id() {
    return this.data ? this.data.id : null;
  }

  get closed() {
    return !!this.data && this.data.status === 'closed';
  }

  // A draft with nothing sent: forms may still be shown instead of the chat.
  get empty() {
    return !this.data && !this.pending.length;
  }

  get advertiser() {
    const a = this.data && this.data.advertiser;
    return (a && a.external_id) || this.target.advertiser;
  }

  // Until the chat exists, the operator who invited the visitor shows as its owner.
  get owner() {
    return this.data ? this.data.owner : this.invite && this.invite.operator;
  }

  get lastSeq() {
    return this.seqs.length ? this.seqs[this.seqs.length - 1] : 0;
  }

  // A seq beyond the resume point means something was missed on the way.
  get gap() {
    return this.lastSeq > this.contig;
  }

  // add shows a message from the server; false when it is already shown.
  add(m) {
    if (!m || typeof m.seq !== 'number' || this.bySeq.has(m.seq)) return false;
    const i = this.pending.findIndex((p) => p.cid === m.client_msg_id);
    if (i >= 0) this.pending.splice(i, 1)[0].el.remove();

    let j = this.seqs.length; // new messages nearly always go last
    while (j > 0 && this.seqs[j - 1] > m.seq) j--;
    const next = j < this.seqs.length ? this.bySeq.get(this.seqs[j]) : this.pending[0] && this.pending[0].el;
    const el = messageElement(m);
    this.el.insertBefore(el, next || null);
    this.seqs.splice(j, 0, m.seq);
    this.bySeq.set(m.seq, el);
    markRun(el);
    if (m.seq === this.contig + 1) {
      while (this.bySeq.has(this.contig + 1)) this.contig++;
    }
    return true;
  }

  // caughtUp records that the server sent everything up to seq (a complete
  // answer to messages?after=contig), whatever numbers it used.
  caughtUp(seq) {
    if (seq > this.contig) this.contig = seq;
  }

  queue(cid, body) {
    const el = h(
      'div',
      { class: 'msg visitor', 'data-testid': 'message', 'data-author-type': 'visitor', 'data-state': 'sending' },
      h('div', { class: 'b' }, body),
      h('div', { class: 't' }, T.sending),
    );
    const p = { cid, body, el, acked: false };
    this.pending.push(p);
    this.el.appendChild(el);
    return p;
  }

  retrying(p) {
    p.el.setAttribute('data-state', 'retrying');
    p.el.lastChild.textContent = T.retrying;
  }

  drop(p) {
    const i = this.pending.indexOf(p);
    if (i >= 0) this.pending.splice(i, 1);
    p.el.remove();
  }
}

function messageElement(m) {
  const author = m.author || {};
  const type = author.type || 'system';
  const time = new Date(m.created_at);
  return h(
    'div',
    {
      class: 'msg ' + type,
      'data-testid': 'message',
      'data-seq': m.seq,
      'data-author-type': type,
      'data-author-id': author.id || '',
    },
    type === 'operator' && h('div', { class: 'nm' }, author.name || ''),
    h('div', { class: 'b' }, withLinks(String(m.body || ''))),
    !isNaN(time) &&
      h('time', { class: 't', datetime: m.created_at }, time.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })),
  );
}

// markRun hides the author's name when the previous message has the same author.
function markRun(el) {
  const prev = el.previousElementSibling;
  const same = prev && prev.getAttribute('data-author-id') === el.getAttribute('data-author-id');
  el.classList.toggle('run', !!same);
}
