// The sign-in screen.

import { api, setCsrfToken } from '../lib/api.js';
import { h } from '../lib/dom.js';

// loginView returns the screen; onSignedIn(operator) runs after a successful
// login. notice is an optional line above the form ("Your session has ended").
export function loginView({ notice, onSignedIn }) {
  const email = h('input', {
    id: 'login-email',
    type: 'email',
    name: 'email',
    autocomplete: 'username',
    required: true,
    testid: 'login-email',
  });
  const password = h('input', {
    id: 'login-password',
    type: 'password',
    name: 'password',
    autocomplete: 'current-password',
    required: true,
    testid: 'login-password',
  });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', testid: 'login-submit' }, 'Sign in');
  const error = h('p', { class: 'form-error', role: 'alert', 'aria-live': 'assertive' });

  const form = h(
    'form',
    { class: 'login-form', novalidate: true },
    h('h1', { class: 'login-title' }, h('img', { src: iconURL(), alt: '', width: 40, height: 40 }), 'Portico'),
    h('p', { class: 'login-sub' }, 'Operator console'),
    notice ? h('p', { class: 'form-notice' }, notice) : null,
    h('label', { for: 'login-email' }, 'E-mail'),
    email,
    h('label', { for: 'login-password' }, 'Password'),
    password,
    error,
    submit,
  );

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    if (!email.value.trim() || !password.value) {
      error.textContent = 'Enter your e-mail and password.';
      (email.value.trim() ? password : email).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    try {
      const res = await api.login(email.value.trim(), password.value);
      setCsrfToken(res.csrf_token);
      onSignedIn(res.operator);
    } catch (err) {
      error.textContent = err.code === 'wrong_credentials' ? 'Wrong e-mail or password' : err.message;
      submit.disabled = false;
      submit.textContent = 'Sign in';
      password.select();
      password.focus();
    }
  });

  queueMicrotask(() => email.focus());
  return h('div', { class: 'login' }, form);
}

function iconURL() {
  return new URL('/console/icon.svg', location.href).href;
}
