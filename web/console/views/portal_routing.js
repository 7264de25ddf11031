// The Settings dialog (admins: widget settings; a portal's admins lock keys,
// an advertiser's admins see which of theirs the portal overrides) and the
// Advertisers dialog (a portal's admins: advertisers, their operators, who is
// online, listings with their responsible operators, backup operators).

import { h } from '../lib/dom.js';
import { SETTING_FIELDS, portalRoutingApi as api } from '../lib/portal_routing.js';

function dialog(testid, title, onClose, ...body) {
  const close = h('button', { type: 'button', class: 'btn btn-quiet', testid: `${testid}-close`, onclick: () => onClose() }, 'Close');
  const titleId = `${testid}-title`;
  const panel = h(
    'div',
    { class: 'pr-panel', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleId, testid },
    h('header', { class: 'pr-head' }, h('h2', { id: titleId }, title), close),
    ...body,
  );
  panel.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') onClose();
  });
  queueMicrotask(() => close.focus());
  return h('div', { class: 'pr-backdrop' }, panel);
}

function fieldInput(f, id) {
  if (f.type === 'textarea') return h('textarea', { id, rows: 3, maxlength: f.max, testid: `setting-${f.key}` });
  const props = { id, type: f.type, testid: `setting-${f.key}` };
  if (f.type === 'number') Object.assign(props, { min: f.min, max: f.max, step: 1, inputmode: 'numeric' });
  if (f.max && f.type === 'text') props.maxlength = f.max;
  return h('input', props);
}

function readInput(f, el) {
  if (f.type === 'checkbox') return el.checked;
  if (f.type === 'number') return Number(el.value || 0);
  return el.value;
}

function writeInput(f, el, v) {
  if (f.type === 'checkbox') el.checked = !!v;
  else el.value = v ?? '';
}

// settingsPanel edits the caller's account's widget settings.
export function settingsPanel({ onClose }) {
  const message = h('p', { role: 'status', 'aria-live': 'polite', testid: 'settings-message' });
  const body = h('div', { testid: 'settings-body' }, h('p', { class: 'loading' }, 'Loading…'));
  const el = dialog('settings-panel', 'Widget settings', onClose, body, message);
  let isPortal = false;
  const rows = new Map();

  function render(view) {
    isPortal = view.locked.length > 0 || view.portal === true;
    const form = h('form', { class: 'pr-form', testid: 'settings-form' });
    rows.clear();
    for (const f of SETTING_FIELDS) {
      const id = `setting-${f.key}`;
      const input = fieldInput(f, id);
      const lock = h('input', { type: 'checkbox', id: `lock-${f.key}`, testid: `lock-${f.key}` });
      const mark = h('span', { class: 'pr-overridden', testid: `overridden-${f.key}`, hidden: true }, 'Overridden on the portal');
      const row = h(
        'div',
        { class: 'pr-row', dataset: { key: f.key } },
        f.type === 'checkbox' ? h('div', { class: 'pr-check' }, input, h('label', { for: id }, f.label)) : [h('label', { for: id }, f.label), input],
        h('div', { class: 'pr-lock', hidden: !isPortal }, lock, h('label', { for: `lock-${f.key}` }, 'Locked for advertisers')),
        mark,
      );
      rows.set(f.key, { f, input, lock, mark });
      form.append(row);
    }
    form.append(h('button', { type: 'submit', class: 'btn btn-primary', testid: 'settings-save' }, 'Save'));
    form.addEventListener('submit', save);
    body.replaceChildren(form);
    fill(view);
  }

  // Only changed keys are sent: an advertiser keeps its own values under the portal's locks.
  let loaded = {};
  function fill(view) {
    loaded = {};
    for (const [key, r] of rows) {
      const v = key in view.settings ? view.settings[key] : view.effective[key];
      writeInput(r.f, r.input, v);
      loaded[key] = readInput(r.f, r.input);
      r.lock.checked = view.locked.includes(key);
      r.mark.hidden = !view.overridden.includes(key);
    }
  }

  async function save(ev) {
    ev.preventDefault();
    const settings = {};
    const locked = [];
    for (const [key, r] of rows) {
      const v = readInput(r.f, r.input);
      if (v !== loaded[key]) settings[key] = v;
      if (r.lock.checked) locked.push(key);
    }
    message.textContent = 'Saving…';
    try {
      const view = await api.saveSettings(settings, isPortal ? locked : undefined);
      fill(view);
      message.textContent = 'Saved.';
    } catch (err) {
      message.textContent = err.message;
    }
  }

  // A portal may lock: GET /portal/backup answers only a portal's admins.
  Promise.all([api.settings(), api.backup().then(() => true, () => false)]).then(
    ([view, portal]) => render({ ...view, portal }),
    (err) => body.replaceChildren(h('p', { class: 'error' }, `Could not load the settings: ${err.message}`)),
  );
  return el;
}

// advertisersPanel is the portal admin's overview. A portal may have tens of
// thousands of advertisers: they come a page at a time by name, and the search
// box asks the server for those whose name or external id has the text.
export function advertisersPanel({ onClose }) {
  const list = h('ul', { class: 'pr-advertisers', testid: 'advertisers-list' });
  const status = h('div', { 'aria-live': 'polite' }, h('p', { class: 'loading' }, 'Loading…'));
  const more = h('button', { type: 'button', class: 'btn', testid: 'advertisers-more', hidden: true }, 'Show more');
  const search = h('input', { type: 'search', placeholder: 'Find an advertiser by name or id', 'aria-label': 'Find an advertiser', testid: 'advertisers-search', maxLength: 200 });
  const backup = h('div', { class: 'pr-backup', testid: 'backup' });
  const el = dialog('advertisers-panel', 'Advertisers', onClose, h('h3', null, 'Backup operators'), backup, h('h3', null, 'Advertisers'), search, list, status, more);

  let query = '';
  let cursor = '';
  let loading = 0; // the newest load; an older one's answer is dropped

  async function load(append) {
    const mine = ++loading;
    more.disabled = true;
    if (!append) status.replaceChildren(h('p', { class: 'loading' }, 'Loading…'));
    try {
      const page = await api.advertisers({ q: query, cursor: append ? cursor : '' });
      if (mine !== loading) return;
      cursor = page.next_cursor;
      const items = page.advertisers.map(advertiserItem);
      if (append) list.append(...items);
      else list.replaceChildren(...items);
      more.hidden = !cursor;
      more.disabled = false;
      if (list.childElementCount) status.replaceChildren();
      else if (query) status.replaceChildren(h('p', { class: 'empty', testid: 'advertisers-empty' }, `No advertiser matches “${query}”.`));
      else status.replaceChildren(h('p', { class: 'empty', testid: 'advertisers-empty' }, 'No advertisers yet.'));
    } catch (err) {
      if (mine !== loading) return;
      more.disabled = false;
      status.replaceChildren(h('p', { class: 'error' }, `Could not load the advertisers: ${err.message}`));
    }
  }

  let typing = 0;
  search.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      if (search.value.trim() === query) return;
      query = search.value.trim();
      load(false);
    }, 250);
  });
  more.addEventListener('click', () => load(true));

  async function loadBackup() {
    try {
      const { backup: b } = await api.backup();
      const box = h('input', { type: 'checkbox', id: 'backup-enabled', testid: 'backup-enabled' });
      box.checked = b.enabled;
      const status = h('span', { role: 'status', class: 'pr-muted' });
      box.addEventListener('change', async () => {
        status.textContent = 'Saving…';
        try {
          await api.setBackup(box.checked, b.operator_ids);
          status.textContent = 'Saved.';
        } catch (err) {
          status.textContent = err.message;
          box.checked = !box.checked;
        }
      });
      backup.replaceChildren(
        h('div', { class: 'pr-check' }, box, h('label', { for: 'backup-enabled' }, 'Our operators take chats of advertisers who have nobody online')),
        status,
      );
    } catch (err) {
      backup.replaceChildren(h('p', { class: 'error' }, err.message));
    }
  }

  load(false);
  loadBackup();
  return el;
}

// advertiserItem is one advertiser: who is online, its operators, its listings
// with their responsible operators.
function advertiserItem(a) {
  const name = (id) => a.operators.find((o) => o.id === id)?.name || id;
  return h(
    'li',
    { class: 'pr-advertiser', testid: 'advertiser', dataset: { advertiserId: a.id } },
    h(
      'div',
      { class: 'pr-adv-head' },
      h('span', { class: `dot ${a.online ? 'dot-on' : 'dot-off'}`, title: a.online ? 'Someone is online' : 'Nobody online' }),
      h('strong', { testid: 'advertiser-name' }, a.name),
      h('span', { class: 'pr-muted' }, a.external_id),
      h('span', { class: 'pr-muted', testid: 'advertiser-online' }, a.online ? 'online' : 'offline'),
    ),
    h(
      'ul',
      { class: 'pr-ops' },
      a.operators.map((o) =>
        h('li', { testid: 'advertiser-operator', dataset: { online: String(o.online) } }, `${o.name || o.email} (${o.role}) — ${o.online ? 'online' : 'offline'}`),
      ),
    ),
    a.listings.length
      ? h(
          'ul',
          { class: 'pr-listings' },
          a.listings.map((l) => h('li', { testid: 'listing' }, l.title || l.external_id, l.operator_ids.length ? ` — agents: ${l.operator_ids.map(name).join(', ')}` : '')),
        )
      : null,
  );
}

// portalRoutingNav returns the top bar's "Settings" (admins) and "Advertisers"
// (a portal's admins) buttons.
export function portalRoutingNav(me) {
  const frag = document.createDocumentFragment();
  if (me.role !== 'admin') return frag;
  let open = null;
  const opener = (button, make) => {
    button.addEventListener('click', () => {
      if (open) return;
      open = make({
        onClose: () => {
          open?.remove();
          open = null;
          button.focus();
        },
      });
      document.body.append(open);
    });
    return button;
  };
  frag.append(
    opener(h('button', { type: 'button', class: 'btn btn-quiet', testid: 'open-settings' }, 'Settings'), settingsPanel),
  );
  const adv = opener(h('button', { type: 'button', class: 'btn btn-quiet', hidden: true, testid: 'open-advertisers' }, 'Advertisers'), advertisersPanel);
  frag.append(adv);
  api.advertisers().then(
    () => {
      adv.hidden = false;
    },
    () => {},
  );
  return frag;
}
