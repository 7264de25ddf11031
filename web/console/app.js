// Entry point of the operator console: asks the server who is signed in and
// shows the console or the login screen.

import { api } from './lib/api.js';
import { h } from './lib/dom.js';
import { Console } from './console.js';
import { loginView } from './views/login.js';
import { setCsrfToken } from './lib/api.js';
import { fromAddress, lastPortal, portalApi, remember, rememberedToken, setLastPortal } from './lib/portal_auth.js';
import { portalLoginView, showError } from './views/portal_login.js';

const root = document.getElementById('app');

// A portal's operators sign in through the portal (lib/portal_auth.js): the
// portal comes from ?portal= or the last portal sign-in in this browser.
const address = fromAddress();
let portal = address.portal || lastPortal();

function showLogin(notice, error) {
  document.title = 'Sign in — Portico';
  if (portal) {
    history.replaceState(null, '', `/console/login?portal=${encodeURIComponent(portal)}`);
    const view = portalLoginView({ portal, notice, onSignedIn: startConsole, onEmailLogin: emailLogin });
    if (error) showError(view.querySelector('[data-testid="portal-error"]'), error);
    root.replaceChildren(view);
    return;
  }
  root.replaceChildren(loginView({ notice, onSignedIn: startConsole }));
}

function emailLogin() {
  portal = '';
  setLastPortal('');
  history.replaceState(null, '', '/console/');
  showLogin();
}

function signedOut(notice) {
  // Signing out ends the portal's token too (the server sends LogOut).
  if (!notice) remember(portal, '');
  showLogin(notice);
}

function startConsole(operator) {
  if (location.pathname === '/console/login') history.replaceState(null, '', '/console/');
  new Console(root, operator, { onSignedOut: signedOut });
}

// tokenSignIn signs in with a token from the address or a remembered one.
async function tokenSignIn(token, fromURL) {
  const res = await portalApi.tokenLogin(portal, token, fromURL);
  setCsrfToken(res.csrf_token);
  setLastPortal(portal);
  // The portal may have replaced or ended the token: keep what it says, when remembering.
  if (!fromURL || rememberedToken(portal)) remember(portal, res.authentication_token);
  startConsole(res.operator);
}

async function boot() {
  root.replaceChildren(h('p', { class: 'boot loading' }, 'Loading…'));
  if (address.token && portal) {
    const token = address.token;
    address.token = '';
    try {
      await tokenSignIn(token, true);
    } catch (err) {
      showLogin(undefined, err);
    }
    return;
  }
  try {
    const { operator } = await api.me({ handle401: false });
    startConsole(operator);
  } catch (err) {
    if (err.status === 401) {
      const remembered = rememberedToken(portal);
      if (remembered) {
        try {
          await tokenSignIn(remembered, false);
          return;
        } catch (tokenErr) {
          // Only the portal's refusal says the token is no good. Too many failed sign-ins
          // from this address (429), or a portal that cannot be reached, say nothing about
          // it: keep it for the next visit and say why the form is shown.
          if (tokenErr.status !== 401) {
            showLogin(undefined, tokenErr);
            return;
          }
          remember(portal, '');
        }
      }
      showLogin();
      return;
    }
    root.replaceChildren(
      h(
        'div',
        { class: 'boot' },
        h('p', { class: 'error' }, `Could not start the console: ${err.message}`),
        h('button', { type: 'button', class: 'btn btn-primary', onclick: boot }, 'Try again'),
      ),
    );
  }
}

window.portico = { socket: () => null };
boot();
