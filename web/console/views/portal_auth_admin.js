// The portal admin's panel for sign-in through the portal's own accounts: the
// settings (the access key is write-only) and the health of the portal's server.

import { h } from '../lib/dom.js';
import { portalApi } from '../lib/portal_auth.js';

const KIND_WORDS = {
  unreachable: 'Server unreachable',
  tls: 'TLS certificate does not validate',
  protocol: 'Answer is not the protocol',
  internal_error: 'Internal error (255)',
  access_denied: 'Access key refused (253)',
  insecure_url: 'URL cannot be used',
};

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : 'never';
}

// portalAuthPanel returns a dialog; close() is called when it is dismissed.
export function portalAuthPanel({ onClose }) {
  const enabled = h('input', { id: 'pa-enabled', type: 'checkbox', testid: 'pa-enabled' });
  const url = h('input', { id: 'pa-url', type: 'url', placeholder: 'https://portal.example/portico-auth', testid: 'pa-url' });
  const key = h('input', { id: 'pa-key', type: 'password', autocomplete: 'off', testid: 'pa-key' });
  const email = h('input', { id: 'pa-email', type: 'email', testid: 'pa-email' });
  const keyHint = h('p', { class: 'hint' });
  const message = h('p', { role: 'status', 'aria-live': 'polite', testid: 'pa-message' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save');
  const health = h('section', { class: 'pa-health', testid: 'pa-health', 'aria-label': 'Health' }, h('p', { class: 'loading' }, 'Loading…'));

  const form = h(
    'form',
    { class: 'pa-form', testid: 'pa-form' },
    h('div', { class: 'pa-row' }, enabled, h('label', { for: 'pa-enabled' }, 'Operators sign in with their portal accounts')),
    h('label', { for: 'pa-url' }, 'Base URL of your authentication server'),
    url,
    h('label', { for: 'pa-key' }, 'Access key'),
    key,
    keyHint,
    h('label', { for: 'pa-email' }, 'E-mail for problem reports'),
    email,
    message,
    save,
  );
  const close = h('button', { type: 'button', class: 'btn btn-quiet', testid: 'pa-close', onclick: () => onClose() }, 'Close');
  const panel = h(
    'div',
    { class: 'pa-panel', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'pa-title', testid: 'portal-auth-panel' },
    h('header', { class: 'pa-head' }, h('h2', { id: 'pa-title' }, 'Portal sign-in'), close),
    form,
    h('h3', null, 'Health'),
    health,
  );
  panel.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') onClose();
  });

  let keySet = false;
  function fill(res) {
    const s = res.external_auth;
    enabled.checked = s.enabled;
    url.value = s.url;
    email.value = s.admin_email;
    keySet = res.access_key_set;
    key.value = '';
    key.placeholder = keySet ? '•••••• (stored; type to replace)' : '';
    keyHint.textContent = keySet ? 'The stored key is never shown. Leave empty to keep it.' : '';
  }

  async function loadHealth() {
    try {
      const res = await portalApi.health();
      const rows = res.problems.map((p) =>
        h(
          'li',
          { class: 'pa-problem', testid: 'pa-problem', dataset: { kind: p.kind } },
          h('strong', null, KIND_WORDS[p.kind] || p.kind),
          ' — ',
          when(p.at),
          h('br'),
          h('span', { class: 'pa-detail' }, p.detail),
          p.mailed ? h('span', { class: 'pa-mailed' }, ' (e-mailed)') : null,
        ),
      );
      health.replaceChildren(
        h('p', { testid: 'pa-last-success' }, `Last successful answer: ${when(res.last_success_at)}`),
        rows.length ? h('ul', { class: 'pa-problems' }, rows) : h('p', { class: 'empty', testid: 'pa-no-problems' }, 'No problems recorded.'),
      );
    } catch (err) {
      health.replaceChildren(h('p', { class: 'error' }, `Could not load the health: ${err.message}`));
    }
  }

  portalApi.settings().then(fill, (err) => {
    message.textContent = `Could not load the settings: ${err.message}`;
  });
  loadHealth();

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    save.disabled = true;
    message.textContent = 'Saving…';
    const body = { enabled: enabled.checked, url: url.value.trim(), admin_email: email.value.trim() };
    if (key.value) body.access_key = key.value;
    try {
      fill(await portalApi.saveSettings(body));
      message.textContent = 'Saved.';
    } catch (err) {
      message.textContent = err.message;
    } finally {
      save.disabled = false;
    }
  });

  queueMicrotask(() => url.focus());
  return h('div', { class: 'pa-backdrop', testid: 'pa-backdrop' }, panel);
}

// portalAuthNav is the top bar's "Portal sign-in" button: shown only to a
// portal's admins (the settings answer 200 to nobody else).
export function portalAuthNav(me) {
  const button = h('button', { type: 'button', class: 'btn btn-quiet', hidden: true, testid: 'open-portal-auth' }, 'Portal sign-in');
  let open = null;
  const closePanel = () => {
    if (!open) return;
    open.remove();
    open = null;
    button.focus();
  };
  button.addEventListener('click', () => {
    if (open) return;
    open = portalAuthPanel({ onClose: closePanel });
    document.body.append(open);
  });
  if (me.role === 'admin') {
    portalApi.settings().then(
      () => {
        button.hidden = false;
      },
      () => {},
    );
  }
  return button;
}
