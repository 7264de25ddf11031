// Sign-in through a portal's own accounts (DESIGN.md §6): the API calls, the
// portal key and authentication token in the address, and "remember me".

import { request } from './api.js';

const enc = encodeURIComponent;
const PORTAL_KEY = 'portico_portal';
const TOKEN_PREFIX = 'portico_portal_token:';

export const portalApi = {
  loginInfo: (portal) => request('GET', `/portal/${enc(portal)}/login-info`, undefined, { handle401: false }),
  login: (portal, username, password) =>
    request('POST', '/auth/login', { portal, username, password }, { handle401: false }),
  tokenLogin: (portal, token, fromURL) =>
    request('POST', '/auth/token', { portal, authentication_token: token, from_url: fromURL }, { handle401: false }),
  settings: () => request('GET', '/portal/external-auth'),
  saveSettings: (body) => request('PUT', '/portal/external-auth', body),
  health: () => request('GET', '/portal/external-auth/health'),
};

// fromAddress reads ?portal= and ?authenticationToken= and removes the token
// from the address bar at once, so it is not kept in the history.
export function fromAddress() {
  const url = new URL(location.href);
  const portal = url.searchParams.get('portal') || '';
  const token = url.searchParams.get('authenticationToken') || '';
  if (token) {
    url.searchParams.delete('authenticationToken');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  return { portal, token };
}

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

// lastPortal is the portal this browser last signed in through.
export function lastPortal() {
  return storage()?.getItem(PORTAL_KEY) || '';
}

export function setLastPortal(portal) {
  storage()?.setItem(PORTAL_KEY, portal);
}

export function rememberedToken(portal) {
  return (portal && storage()?.getItem(TOKEN_PREFIX + portal)) || '';
}

// remember keeps the portal's token for next time; an empty token forgets it.
export function remember(portal, token) {
  const s = storage();
  if (!s || !portal) return;
  if (token) s.setItem(TOKEN_PREFIX + portal, token);
  else s.removeItem(TOKEN_PREFIX + portal);
}

// errorWords are what the login page says for each refusal.
export function errorWords(err) {
  switch (err.code) {
    case 'wrong_credentials':
      return err.message || 'Wrong user name or password';
    case 'account_suspended':
      return 'This account is suspended or deleted.';
    case 'access_denied':
      return "The portal refused Portico's access. Please tell the portal's administrator.";
    case 'already_processed':
      return 'The portal had already processed this sign-in. Please try again.';
    case 'portal_unavailable':
      return "The portal's sign-in server cannot be reached right now. Please try again later.";
    case 'unknown_portal':
      return 'This portal does not offer sign-in with its accounts here.';
    default:
      return err.message;
  }
}
