// The login page of a portal's operators: /console/login?portal=KEY shows the
// portal's name and logo and checks the user name and password with the portal.

import { setCsrfToken } from '../lib/api.js';
import { externalLink, h } from '../lib/dom.js';
import { errorWords, portalApi, remember, setLastPortal } from '../lib/portal_auth.js';

// portalLoginView returns the screen; onSignedIn(operator) runs after a
// successful login, onEmailLogin() switches to the e-mail form.
export function portalLoginView({ portal, notice, onSignedIn, onEmailLogin }) {
  const title = h('span', { testid: 'portal-name' }, 'Loading…');
  const logo = h('img', { class: 'portal-logo', alt: '', hidden: true, testid: 'portal-logo' });
  const username = h('input', {
    id: 'portal-username',
    name: 'username',
    autocomplete: 'username',
    autocapitalize: 'none',
    required: true,
    testid: 'portal-username',
  });
  const password = h('input', {
    id: 'portal-password',
    type: 'password',
    name: 'password',
    autocomplete: 'current-password',
    required: true,
    testid: 'portal-password',
  });
  const rememberBox = h('input', { id: 'portal-remember', type: 'checkbox', testid: 'portal-remember' });
  const rememberRow = h('div', { class: 'portal-remember', hidden: true }, rememberBox, h('label', { for: 'portal-remember' }, 'Remember me'));
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', testid: 'portal-submit', disabled: true }, 'Sign in');
  const error = h('div', { class: 'form-error', role: 'alert', 'aria-live': 'assertive', testid: 'portal-error' });

  const form = h(
    'form',
    { class: 'login-form portal-login', novalidate: true, testid: 'portal-login' },
    h('h1', { class: 'login-title' }, logo, title),
    h('p', { class: 'login-sub' }, 'Sign in with your account at the portal'),
    notice ? h('p', { class: 'form-notice' }, notice) : null,
    h('label', { for: 'portal-username' }, 'User name'),
    username,
    h('label', { for: 'portal-password' }, 'Password'),
    password,
    rememberRow,
    error,
    submit,
    h('button', { type: 'button', class: 'btn btn-quiet btn-block', testid: 'email-login', onclick: () => onEmailLogin() }, 'Sign in with e-mail instead'),
  );

  portalApi.loginInfo(portal).then(
    (info) => {
      title.textContent = info.name;
      document.title = `Sign in — ${info.name}`;
      if (info.logo_url) {
        logo.setAttribute('src', info.logo_url);
        logo.hidden = false;
      }
      rememberRow.hidden = !info.remember_me;
      submit.disabled = false;
      username.focus();
    },
    (err) => {
      title.textContent = 'Portal sign-in';
      error.textContent = errorWords(err);
    },
  );

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.replaceChildren();
    if (!username.value.trim() || !password.value) {
      error.textContent = 'Enter your user name and password.';
      (username.value.trim() ? password : username).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    try {
      const res = await portalApi.login(portal, username.value.trim(), password.value);
      setCsrfToken(res.csrf_token);
      setLastPortal(portal);
      remember(portal, res.remember_me_available && rememberBox.checked ? res.authentication_token : '');
      onSignedIn(res.operator);
    } catch (err) {
      showError(error, err);
      submit.disabled = false;
      submit.textContent = 'Sign in';
      password.select();
      password.focus();
    }
  });

  return h('div', { class: 'login' }, form);
}

// showError writes the words for a refusal and the portal's remediation
// options as links (http(s) only, opened without a handle on the console).
export function showError(el, err) {
  el.replaceChildren(h('p', { testid: 'portal-error-text' }, errorWords(err)));
  const options = (err.body && err.body.error && err.body.error.remediation_options) || [];
  const links = options.map((o) => h('li', null, externalLink(o.url, o.name, { testid: 'remediation-option' })));
  if (links.length) el.append(h('ul', { class: 'remediation' }, links));
}
