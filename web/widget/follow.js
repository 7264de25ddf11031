// The advertisers this page shows a chat with: the listing's, the chat on
// screen, the visitor's other chats and the page's chat buttons. The server
// sends the availability of these, and of no other advertiser of the portal
// (docs/protocol.md, `follow`).
import { S } from './state.js';

const MAX_FOLLOWED = 50; // the server ignores the rest

let sent = ''; // the list the current socket follows
let buttons = []; // advertisers of the page's chat buttons, read on connect

// follow tells the server what to follow when that changed. connected: a new
// socket (or a resync) — it follows nothing yet, and the page may have new
// chat buttons.
export function follow(connected) {
  if (connected) {
    sent = '';
    buttons = Array.from(document.querySelectorAll('[data-portico-advertiser]'), (el) =>
      el.getAttribute('data-portico-advertiser'),
    );
  }
  if (!S.sock || !S.sock.up) return;
  const ids = [S.pageTarget.advertiser, S.current && S.current.advertiser, ...S.convs.map((c) => c.advertiser), ...buttons];
  const list = [...new Set(ids.filter(Boolean))].slice(0, MAX_FOLLOWED);
  const key = list.join('\n');
  if (key !== sent && S.sock.send({ type: 'follow', advertisers: list })) sent = key;
}
