// DOM helpers. Data reaches the page only as text nodes and attribute values,
// never through an HTML parser, so a message like <script> stays literal text.

// h creates an element: props become attributes (on* become listeners),
// children are nodes or strings (added as text nodes); arrays are flattened.
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const k in props) {
    const v = props[k];
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  return add(el, children);
}

export function add(el, children) {
  for (const c of children) {
    if (c == null || c === false || c === '') continue;
    if (Array.isArray(c)) add(el, c);
    else el.appendChild(typeof c === 'object' ? c : document.createTextNode(c));
  }
  return el;
}

export function show(el, visible) {
  el.toggleAttribute('hidden', !visible);
}

const SVG = 'http://www.w3.org/2000/svg';

// icon draws a 24×24 single-path icon; `cls` lets CSS pick between icons.
export function icon(d, cls) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  if (cls) svg.setAttribute('class', cls);
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', d);
  svg.appendChild(path);
  return svg;
}

// imageUrl accepts only http(s) URLs and paths; a path is on the Portico
// server, not on the host page, so it is made absolute against `base`.
export function imageUrl(url, base) {
  if (typeof url !== 'string') return '';
  if (/^https?:/i.test(url)) return url;
  if (url[0] === '/') return url[1] === '/' ? url : base + url;
  return '';
}

// withLinks turns http(s) URLs in a plain text into links and leaves the rest
// as text. Trailing punctuation is not part of the link.
export function withLinks(text) {
  const out = [];
  const re = /https?:\/\/[^\s<>"']+/gi;
  let last = 0;
  let m;
  while ((m = re.exec(text))) {
    const url = m[0].replace(/[.,;:!?)\]]+$/, '');
    out.push(
      text.slice(last, m.index),
      h('a', { href: url, target: '_blank', rel: 'noopener noreferrer nofollow' }, url),
    );
    last = re.lastIndex = m.index + url.length;
  }
  out.push(text.slice(last));
  return out;
}
