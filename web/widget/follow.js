// The advertisers this page shows a chat with: the listing's, the chat on
// screen, the visitor's other chats and the page's chat buttons. The server
// sends the availability of these, and of no other advertiser of the portal
// (docs/protocol.md, `follow`).
import { S } from './state.js';

const MAX_FOLLOWED = 50; // the server ignores the rest

let socket = null; // the socket `sent` is about
let sent = ''; // the list it follows, sorted
let buttons = []; // advertisers of the page's chat buttons, read on connect

// follow tells the server what to follow when that changed. A new socket
// follows the listing's advertiser, named in its URL (app.js), and the page
// may have new chat buttons since the last one.
export function follow() {
  if (!S.sock || !S.sock.up) return;
  if (S.sock.raw() !== socket) {
    socket = S.sock.raw();
    sent = S.pageTarget.advertiser;
    buttons = Array.from(document.querySelectorAll('[data-portico-advertiser]'), (el) =>
      el.getAttribute('data-portico-advertiser'),
    );
  }
  const ids = [S.pageTarget.advertiser, S.current && S.current.advertiser, ...S.convs.map((c) => c.advertiser), ...buttons];
  const list = [...new Set(ids.filter(Boolean))].slice(0, MAX_FOLLOWED);
  const key = [...list].sort().join('\n'); // the order does not matter to the server
  if (key !== sent && S.sock.send({ type: 'follow', advertisers: list })) sent = key;
}
