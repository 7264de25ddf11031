// Formatting of names, times and message previews for the console views.

// MAX_BODY mirrors the server's limit on a message body (Unicode code points).
export const MAX_BODY = 5000;

// shortId keeps the end of an id: ids that start with a timestamp (ULIDs)
// share their first characters, their last ones tell visitors apart.
export function shortId(id) {
  const s = String(id ?? '');
  return s.length > 6 ? s.slice(-6) : s;
}

export function visitorName(conv) {
  const v = conv.visitor || {};
  return v.name || v.email || `Visitor ${shortId(v.id || conv.visitor_id)}`;
}

export function visitorLabel(visitor) {
  return visitor.name || visitor.email || `Visitor ${shortId(visitor.id)}`;
}

// age is how long ago iso was, in the console's short style: "now", "2 min",
// "3 h", "4 d".
export function age(iso, now = Date.now()) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const s = Math.max(0, (now - t) / 1000);
  if (s < 60) return 'now';
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86400)} d`;
}

export function clock(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export function dayKey(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

export function dayLabel(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (dayKey(iso) === dayKey(today.toISOString())) return 'Today';
  if (dayKey(iso) === dayKey(yesterday.toISOString())) return 'Yesterday';
  return d.toLocaleDateString([], { day: 'numeric', month: 'short', year: 'numeric' });
}

// when is a compact date for lists: the time today, else the date.
export function when(iso) {
  const label = dayLabel(iso);
  if (label === 'Today') return clock(iso);
  if (label === 'Yesterday') return `Yesterday ${clock(iso)}`;
  return label;
}

export function codePoints(s) {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A high surrogate followed by a low one is a single code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

// preview squeezes a message body onto one line and cuts it (on code points,
// never inside a surrogate pair).
export function preview(body, max = 90) {
  const flat = String(body ?? '').replace(/\s+/g, ' ').trim();
  const chars = Array.from(flat);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : flat;
}

export function lastMessagePreview(conv, meId) {
  const m = conv.last_message;
  if (!m) return '';
  const text = preview(m.body);
  // last_message does not name its author; the owner wrote it most of the time.
  if (m.author_type === 'operator') return `${conv.owner_id === meId ? 'You' : 'Operator'}: ${text}`;
  return text;
}

export function number(n) {
  return Number(n).toLocaleString('en-US');
}

export const STATUS_LABEL = { waiting: 'Waiting', active: 'Active', closed: 'Closed' };
