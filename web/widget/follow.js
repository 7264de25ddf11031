// The advertisers this page shows a chat with: the listing's, the chat on
// screen, the visitor's other chats and the page's chat buttons, also those
// the page adds later. The server sends the availability of these, and of no
// other advertiser of the portal (docs/protocol.md, `follow`); the chat
// buttons show it in `data-portico-online` for the page's own styles.
import { S } from './state.js';

const MAX_FOLLOWED = 50; // the server ignores the rest
const BUTTON = '[data-portico-advertiser]';
// A page that keeps changing (a results list growing as the visitor scrolls)
// has its chat buttons read again at most this often.
const RESCAN_MS = 1000;

let socket = null; // the socket `sent` is about
let sent = ''; // the list it follows, sorted
let buttons = []; // advertisers of the page's chat buttons
let watching = false;
let rescanDue = false;

// follow tells the server what to follow when that changed. A new socket
// follows the listing's advertiser, named in its URL (app.js).
export function follow() {
  if (!S.sock || !S.sock.up) return;
  if (S.sock.raw() !== socket) {
    socket = S.sock.raw();
    sent = S.pageTarget.advertiser;
    buttons = readButtons();
    watchButtons();
  }
  const ids = [S.pageTarget.advertiser, S.current && S.current.advertiser, ...S.convs.map((c) => c.advertiser), ...buttons];
  const list = [...new Set(ids.filter(Boolean))].slice(0, MAX_FOLLOWED);
  const key = [...list].sort().join('\n'); // the order does not matter to the server
  if (key !== sent && S.sock.send({ type: 'follow', advertisers: list })) sent = key;
}

// markButtons sets `data-portico-online` on the chat buttons of the
// advertisers whose availability is known: "true" where someone answers.
export function markButtons() {
  for (const el of document.querySelectorAll(BUTTON)) {
    const online = S.availability.get(el.getAttribute('data-portico-advertiser'));
    if (online === undefined) continue;
    if (el.getAttribute('data-portico-online') !== String(online)) el.setAttribute('data-portico-online', String(online));
  }
}

function readButtons() {
  return Array.from(document.querySelectorAll(BUTTON), (el) => el.getAttribute('data-portico-advertiser'));
}

// watchButtons follows the chat buttons the page adds or changes after the
// socket connected. The widget's own box lives in a shadow root: its changes
// are not the page's and do not wake this.
function watchButtons() {
  if (watching || typeof MutationObserver === 'undefined' || !document.body) return;
  watching = true;
  new MutationObserver(() => {
    if (rescanDue) return;
    rescanDue = true;
    setTimeout(() => {
      rescanDue = false;
      buttons = readButtons();
      follow();
      markButtons();
    }, RESCAN_MS);
  }).observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-portico-advertiser'] });
}
