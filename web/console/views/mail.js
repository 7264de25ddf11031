// Mail in the console: the close dialog with its category, the "Offline
// messages" view (with the choice of recipients for admins), the admins'
// categories view, and the notice shown where mail would be sent while the
// server has no mail server configured.

import { request } from '../lib/api.js';
import { h } from '../lib/dom.js';
import { when } from '../lib/format.js';

const enc = encodeURIComponent;

export const mailApi = {
  system: () => request('GET', '/system'),
  categories: () => request('GET', '/categories'),
  createCategory: (name, email) => request('POST', '/categories', { name, email }),
  updateCategory: (id, fields) => request('PATCH', `/categories/${enc(id)}`, fields),
  deleteCategory: (id) => request('DELETE', `/categories/${enc(id)}`),
  offlineMessages: () => request('GET', '/offline-messages'),
  recipients: () => request('GET', '/offline-messages/recipients'),
  setRecipients: (ids) => request('PUT', '/offline-messages/recipients', { operator_ids: ids }),
  close: (id, categoryId) => request('POST', `/conversations/${enc(id)}/close`, categoryId ? { category_id: categoryId } : {}),
};

const OFFLINE_PATH = '/console/offline';

// mailConfigured answers whether the server sends mail at all, asked once.
// When the answer cannot be had, no warning is shown rather than a false one.
let configured = null;
export function mailConfigured() {
  if (!configured) {
    configured = mailApi.system().then(
      (r) => r?.mail_configured !== false,
      () => {
        configured = null;
        return true;
      },
    );
  }
  return configured;
}

export function notConfiguredNotice(what) {
  return h(
    'p',
    { class: 'mail-notice', role: 'note', testid: 'mail-not-configured' },
    `E-mail is not set up on this server (it runs without --smtp-url), so ${what} Nothing is lost: the mail is kept and sent once a mail server is configured.`,
  );
}

// mailtoLink shows an address as a link that opens the operator's mail
// program; it never becomes anything but a mailto: link.
function mailtoLink(address) {
  const a = h('a', { class: 'mailto' }, address);
  if (/^[^\s@<>"]+@[^\s@<>"]+$/.test(address)) a.setAttribute('href', `mailto:${enc(address).replace('%40', '@')}`);
  return a;
}

// closeChatDialog asks whether to close the chat and, optionally, with which
// category: the transcript then goes to the category's address. It resolves
// to {ok, categoryId}.
export async function closeChatDialog(conv, me) {
  let categories = [];
  let loadError = '';
  // Categories belong to the conversation's account; a portal admin closing an
  // advertiser's chat has none to offer.
  if (!conv.account_id || conv.account_id === me.account_id) {
    try {
      categories = (await mailApi.categories())?.categories || [];
    } catch (err) {
      if (err.status === 401) return { ok: false };
      loadError = `Could not load the categories: ${err.message}`;
    }
  }
  const sends = await mailConfigured();
  return new Promise((resolve) => {
    const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
    const select = h(
      'select',
      { id: `${titleId}-cat`, testid: 'close-category' },
      h('option', { value: '' }, 'No category'),
      categories.map((c) => h('option', { value: c.id }, c.name)),
    );
    const hint = h('p', { class: 'close-hint', 'aria-live': 'polite' });
    const notice = sends ? null : notConfiguredNotice('the transcript will not be e-mailed yet.');
    const update = () => {
      const cat = categories.find((c) => c.id === select.value);
      hint.textContent = cat ? `The whole transcript will be e-mailed to ${cat.email}.` : '';
      if (notice) notice.hidden = !cat;
    };
    select.addEventListener('change', update);
    update();
    const dialog = h(
      'dialog',
      { class: 'dialog', 'aria-labelledby': titleId, testid: 'close-dialog' },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { id: titleId }, 'Close this chat?'),
        h('p', {}, 'The visitor is told that the chat has ended. You can still read it afterwards.'),
        categories.length
          ? h('div', { class: 'field' }, h('label', { for: select.id }, 'Category (optional)'), select, hint, notice)
          : null,
        loadError ? h('p', { class: 'error' }, loadError) : null,
        h(
          'div',
          { class: 'dialog-actions' },
          h('button', { type: 'submit', value: 'cancel', class: 'btn', autofocus: true }, 'Cancel'),
          h('button', { type: 'submit', value: 'ok', class: 'btn btn-danger', testid: 'confirm' }, 'Close chat'),
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      resolve({ ok: dialog.returnValue === 'ok', categoryId: select.value });
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

// mailNav is the top bar's "Offline messages" and, for admins, "Categories"
// buttons. /console/offline opens the offline messages at once (the link in
// the offline-message mail).
export function mailNav(me, toasts) {
  const admin = me.role === 'admin';
  const nav = h(
    'span',
    { class: 'mail-nav' },
    h('button', { type: 'button', class: 'btn btn-quiet', testid: 'open-offline', onclick: () => openPanel('offline', me, toasts) }, 'Offline messages'),
    admin
      ? h('button', { type: 'button', class: 'btn btn-quiet', testid: 'open-categories', onclick: () => openPanel('categories', me, toasts) }, 'Categories')
      : null,
  );
  if (location.pathname === OFFLINE_PATH) queueMicrotask(() => openPanel('offline', me, toasts));
  return nav;
}

function openPanel(which, me, toasts) {
  const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
  const body = h('div', { class: 'mail-panel-body' }, h('p', { class: 'loading' }, 'Loading…'));
  const dialog = h(
    'dialog',
    { class: 'dialog mail-panel', 'aria-labelledby': titleId, testid: which === 'offline' ? 'offline-panel' : 'categories-panel' },
    h(
      'div',
      { class: 'mail-panel-head' },
      h('h2', { id: titleId }, which === 'offline' ? 'Offline messages' : 'Categories'),
      h('button', { type: 'button', class: 'btn btn-quiet', 'aria-label': 'Close', onclick: () => dialog.close() }, '×'),
    ),
    body,
  );
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (location.pathname === OFFLINE_PATH) history.replaceState(null, '', '/console/');
  });
  document.body.append(dialog);
  dialog.showModal();
  const view = which === 'offline' ? new OfflineView(body, me, toasts) : new CategoriesView(body, me, toasts);
  view.load();
}

class OfflineView {
  constructor(el, me, toasts) {
    this.el = el;
    this.me = me;
    this.toasts = toasts;
  }

  async load() {
    try {
      const [list, rec, sends] = await Promise.all([mailApi.offlineMessages(), mailApi.recipients(), mailConfigured()]);
      this.messages = list?.offline_messages || [];
      this.rec = rec;
      this.sends = sends;
      this.render();
    } catch (err) {
      if (err.status !== 401) this.el.replaceChildren(h('p', { class: 'error' }, `Could not load the offline messages: ${err.message}`));
    }
  }

  render() {
    this.el.replaceChildren(
      this.sends ? null : notConfiguredNotice('offline messages are only shown here for now.'),
      this.recipients(),
      this.messages.length
        ? h('ul', { class: 'offline-list', testid: 'offline-messages' }, this.messages.map((m) => this.item(m)))
        : h('p', { class: 'muted' }, 'No offline messages yet.'),
    );
  }

  item(m) {
    return h(
      'li',
      { class: 'offline-item', testid: 'offline-item' },
      h(
        'div',
        { class: 'offline-meta' },
        h('strong', {}, m.name || '(no name)'),
        mailtoLink(m.email),
        h('time', { datetime: m.created_at, title: new Date(m.created_at).toLocaleString() }, when(m.created_at)),
      ),
      h('p', { class: 'offline-body' }, m.body),
    );
  }

  recipients() {
    const rec = this.rec;
    const receiving = rec.operators.filter((o) => o.receives).map((o) => o.name || o.email);
    const summary = h(
      'p',
      { class: 'muted', testid: 'offline-recipients-summary' },
      receiving.length ? `E-mailed to ${receiving.join(', ')}` : 'Nobody receives them by e-mail.',
      rec.fallback_to_admins ? ' (the admins, as nobody is chosen).' : '.',
    );
    if (this.me.role !== 'admin') return summary;
    const boxes = rec.operators.map((o) =>
      h(
        'label',
        { class: 'check' },
        h('input', { type: 'checkbox', value: o.id, testid: 'recipient-checkbox', checked: rec.operator_ids.includes(o.id) }),
        ` ${o.name || o.email}`,
        h('span', { class: 'muted' }, ` ${o.email}${o.role === 'admin' ? ' · admin' : ''}`),
      ),
    );
    const status = h('span', { class: 'muted', role: 'status' });
    const form = h(
      'form',
      { class: 'recipients' },
      h('fieldset', {}, h('legend', {}, 'Who gets offline messages by e-mail'), h('p', { class: 'muted' }, 'With nobody ticked, the admins get them.'), boxes),
      h('div', { class: 'row' }, h('button', { type: 'submit', class: 'btn btn-primary btn-small', testid: 'save-recipients' }, 'Save'), status),
    );
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const ids = [...form.querySelectorAll('input[type=checkbox]:checked')].map((i) => i.value);
      status.textContent = 'Saving…';
      try {
        this.rec = await mailApi.setRecipients(ids);
        this.render();
        this.toasts.show('Recipients saved');
      } catch (err) {
        if (err.status !== 401) status.textContent = `Not saved: ${err.message}`;
      }
    });
    return h('div', {}, summary, form);
  }
}

class CategoriesView {
  constructor(el, me, toasts) {
    this.el = el;
    this.me = me;
    this.toasts = toasts;
    this.editing = null;
  }

  async load() {
    try {
      const [res, sends] = await Promise.all([mailApi.categories(), mailConfigured()]);
      this.list = res?.categories || [];
      this.sends = sends;
      this.render();
    } catch (err) {
      if (err.status !== 401) this.el.replaceChildren(h('p', { class: 'error' }, `Could not load the categories: ${err.message}`));
    }
  }

  render() {
    this.el.replaceChildren(
      h('p', { class: 'muted' }, 'Closing a chat with a category e-mails its whole transcript to the category’s address.'),
      this.sends ? null : notConfiguredNotice('transcripts are not e-mailed yet.'),
      this.list.length
        ? h('ul', { class: 'category-list', testid: 'categories' }, this.list.map((c) => (this.editing === c.id ? this.form(c) : this.item(c))))
        : h('p', { class: 'muted' }, 'No categories yet.'),
      h('h3', {}, 'Add a category'),
      this.form(null),
    );
  }

  item(c) {
    return h(
      'li',
      { class: 'category-item', testid: 'category-item' },
      h('span', { class: 'category-name' }, c.name),
      mailtoLink(c.email),
      h(
        'span',
        { class: 'row' },
        h('button', { type: 'button', class: 'btn btn-small', onclick: () => this.edit(c.id) }, 'Edit'),
        h('button', { type: 'button', class: 'btn btn-small', testid: 'delete-category', onclick: () => this.remove(c) }, 'Delete'),
      ),
    );
  }

  edit(id) {
    this.editing = id;
    this.render();
  }

  // form adds a category (c null) or edits one. The browser checks the
  // address first; the server's answer is shown next to the fields.
  form(c) {
    const name = h('input', { name: 'name', required: true, maxlength: 100, value: c?.name || '', 'aria-label': 'Name', placeholder: 'Name, e.g. Sales', testid: 'category-name' });
    const email = h('input', { name: 'email', type: 'email', required: true, maxlength: 254, value: c?.email || '', 'aria-label': 'E-mail address', placeholder: 'sales@example.com', testid: 'category-email' });
    const error = h('p', { class: 'error', role: 'alert' });
    const form = h(
      c ? 'li' : 'div',
      { class: 'category-form' },
      h(
        'form',
        {},
        name,
        email,
        h('button', { type: 'submit', class: 'btn btn-primary btn-small', testid: c ? 'save-category' : 'add-category' }, c ? 'Save' : 'Add'),
        c ? h('button', { type: 'button', class: 'btn btn-small', onclick: () => this.edit(null) }, 'Cancel') : null,
      ),
      error,
    );
    form.querySelector('form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      error.textContent = '';
      try {
        if (c) await mailApi.updateCategory(c.id, { name: name.value.trim(), email: email.value.trim() });
        else await mailApi.createCategory(name.value.trim(), email.value.trim());
        this.editing = null;
        await this.load();
        this.toasts.show(c ? 'Category saved' : 'Category added');
      } catch (err) {
        if (err.status !== 401) error.textContent = err.message;
      }
    });
    return form;
  }

  async remove(c) {
    if (!confirm(`Delete the category “${c.name}”? Chats closed with it keep it; no more transcripts go to ${c.email}.`)) return;
    try {
      await mailApi.deleteCategory(c.id);
      await this.load();
      this.toasts.show('Category deleted');
    } catch (err) {
      if (err.status !== 401) this.toasts.show(`Could not delete the category: ${err.message}`, 'error');
    }
  }
}
