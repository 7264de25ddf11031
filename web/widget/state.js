// The widget's shared state. Modules read and change it here, and call
// render() (view.js) after a change that shows.
import { createApi } from './api.js';
import { local } from './storage.js';

export const MAX_CHARS = 5000;

const stub = window.Portico;

export const S = {
  stub,
  cfg: stub && stub._cfg, // from the loader: base, account, advertiser, listing, listingTitle
  api: null,
  visitorToken: '',
  visitorId: '', // changes when identify() makes this visitor one with an earlier one
  ui: null,
  sock: null,
  settings: {},
  isOpen: false,
  convs: [], // every conversation this page knows, drafts included
  current: null, // the one on screen; never null once started
  invited: null, // the draft an unanswered invitation is shown for (invite.js)
  identity: {}, // {name, email} from Portico.identify() or the pre-chat form
  prechatDone: false,
  // Whether someone can answer, by advertiser external id ('' = the account
  // itself). Known for this page's target from the visit and presence frames;
  // for another advertiser (a chat button on a results page) it is unknown and
  // the chat is offered: the server routes it, to backup operators if need be.
  availability: new Map(),
  // Advertiser external id by answering account id, learnt when a chat is
  // started, so that a chat listed later is matched to its advertiser.
  advertisers: {},
  seen: {}, // conversation id -> highest seq the visitor has had in front of them
};

if (S.cfg) {
  S.api = createApi(S.cfg.base);
  S.pageTarget = target(S.cfg);
  S.advertisers = readJSON('adv');
  S.seen = readJSON('seen');
}

// key names this account's entries in browser storage.
export function key(name) {
  return 'portico:' + S.cfg.account + ':' + name;
}

function readJSON(name) {
  try {
    return JSON.parse(local.get(key(name))) || {};
  } catch (e) {
    return {};
  }
}

export function saveJSON(name, value) {
  local.set(key(name), JSON.stringify(value));
}

// target: whom a chat is with, {advertiser, listing, listingTitle}, from the
// page, a chat button or Portico.openChat().
export function target(t) {
  return {
    advertiser: String(t.advertiser || ''),
    listing: String(t.listing || ''),
    listingTitle: String(t.listingTitle || ''),
  };
}

export function isOnline(c) {
  return S.availability.get(c.advertiser) !== false;
}

// visible: the visitor has this conversation in front of them.
export function visible(c) {
  return S.isOpen && c === S.current && document.visibilityState === 'visible';
}
