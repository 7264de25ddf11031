// Entry point of the operator console: asks the server who is signed in and
// shows the console or the login screen.

import { api } from './lib/api.js';
import { h } from './lib/dom.js';
import { Console } from './console.js';
import { loginView } from './views/login.js';

const root = document.getElementById('app');

function showLogin(notice) {
  document.title = 'Sign in — Portico';
  root.replaceChildren(loginView({ notice, onSignedIn: startConsole }));
}

function startConsole(operator) {
  new Console(root, operator, { onSignedOut: showLogin });
}

async function boot() {
  root.replaceChildren(h('p', { class: 'boot loading' }, 'Loading…'));
  try {
    const { operator } = await api.me({ handle401: false });
    startConsole(operator);
  } catch (err) {
    if (err.status === 401) {
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
