// DOM helpers for the console. User data only ever reaches the page as text
// nodes or attribute values: there is deliberately no helper that takes HTML.

// Attributes that load or navigate; they only accept absolute http(s) URLs.
const URL_ATTRS = new Set(['href', 'src', 'action', 'formaction']);

// h builds an element. props: class, text, testid, dataset, on<event>
// handlers, and plain attributes (true → empty attribute, false/null → none).
// Children may be nodes, strings (added as text), arrays, or null.
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) setProps(el, props);
  append(el, children);
  return el;
}

function setProps(el, props) {
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'testid') el.dataset.testid = value;
    else if (key === 'dataset') {
      for (const [k, v] of Object.entries(value)) if (v != null) el.dataset[k] = String(v);
    } else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (URL_ATTRS.has(key)) {
      const safe = safeHref(value);
      if (safe) el.setAttribute(key, safe);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
}

export function append(parent, children) {
  for (const child of children) {
    if (child == null || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
  return parent;
}

// safeHref returns the normalised URL when it is an absolute http(s) URL,
// else null: javascript:, data: and relative URLs never become links.
export function safeHref(url) {
  if (typeof url !== 'string' || url === '') return null;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

// externalLink opens in a new tab without giving the target page a handle on
// the console (noopener) or the console's URL (noreferrer). A URL that is not
// http(s) is shown as plain text.
export function externalLink(url, text, props = {}) {
  const href = safeHref(url);
  const label = text || url || '';
  if (!href) return h('span', props, label);
  return h('a', { ...props, href, target: '_blank', rel: 'noopener noreferrer' }, label);
}

// linkify turns http(s) URLs inside a message body into links and keeps the
// rest as text.
const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"']+/gi;
export function linkify(text) {
  const out = [];
  let last = 0;
  for (const match of text.matchAll(URL_IN_TEXT)) {
    let url = match[0];
    // Punctuation that ends a sentence is not part of the URL.
    while (/[.,;:!?)\]]$/.test(url)) {
      if (url.endsWith(')') && count(url, '(') >= count(url, ')')) break;
      url = url.slice(0, -1);
    }
    if (match.index > last) out.push(text.slice(last, match.index));
    out.push(externalLink(url, url));
    last = match.index + url.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function count(s, ch) {
  return s.split(ch).length - 1;
}

// reconcile makes parent's children match items, in order, reusing the
// element already made for a key so that focus and scroll position survive
// live updates. create(item) makes a new element; update(el, item) refreshes
// an existing one. parent must hold only elements made here.
export function reconcile(parent, items, create, update) {
  const existing = new Map();
  for (const el of parent.children) existing.set(el.dataset.key, el);
  let index = 0;
  for (const item of items) {
    let el = existing.get(item.key);
    if (el) {
      existing.delete(item.key);
      if (update) update(el, item);
    } else {
      el = create(item);
      el.dataset.key = item.key;
    }
    const at = parent.children[index];
    if (at !== el) parent.insertBefore(el, at || null);
    index++;
  }
  for (const el of existing.values()) el.remove();
}

// setIfChanged rebuilds el's content only when sig changed,
// so a live update does not throw away the element the user has focused.
export function setIfChanged(el, sig, build) {
  if (el._sig === sig) return false;
  el._sig = sig;
  el.replaceChildren(...[build()].flat().filter((n) => n != null && n !== false));
  return true;
}
