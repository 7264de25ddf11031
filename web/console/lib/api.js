// REST client for /api/v1 with the console's cookie session: every request
// carries the cookie, every state-changing request the CSRF header.

const BASE = '/api/v1';

let csrfFromLogin = '';
let unauthorized = () => {};

// onUnauthorized sets what happens when a request answers 401 (the session
// ended): the console goes back to the login screen.
export function onUnauthorized(fn) {
  unauthorized = fn;
}

// setCsrfToken keeps the token from the login answer, used when the
// portico_csrf cookie cannot be read (it should always be readable).
export function setCsrfToken(token) {
  csrfFromLogin = token || '';
}

export function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)portico_csrf=([^;]*)/);
  if (m) {
    try {
      return decodeURIComponent(m[1]);
    } catch {
      return m[1];
    }
  }
  return csrfFromLogin;
}

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.name = 'ApiError';
    this.status = status; // 0: the server was not reached
    this.code = code;
    this.body = body;
  }

  // retriable errors may succeed when the same request is sent again.
  get retriable() {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

// request sends one JSON request. opts.handle401 = false leaves a 401 to the
// caller (the login screen and the start-up check handle it themselves).
export async function request(method, path, body, { handle401 = true } = {}) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrfToken();

  let res;
  let text = '';
  try {
    res = await fetch(BASE + path, init);
    text = await res.text();
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach the server. Check the connection and try again.');
  }
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const e = (data && data.error) || {};
    const err = new ApiError(
      res.status,
      e.code || `http_${res.status}`,
      e.message || `The server answered ${res.status} ${res.statusText}.`.replace(' .', '.'),
      data,
    );
    if (res.status === 401 && handle401) unauthorized(err);
    throw err;
  }
  return data;
}

const enc = encodeURIComponent;

export const api = {
  me: (opts) => request('GET', '/me', undefined, opts),
  login: (email, password) => request('POST', '/auth/login', { email, password }, { handle401: false }),
  logout: () => request('POST', '/auth/logout', {}, { handle401: false }),
  setStatus: (status) => request('PATCH', '/me', { status }),
  conversations: (status) => request('GET', `/conversations?status=${enc(status)}`),
  conversation: (id) => request('GET', `/conversations/${enc(id)}`),
  claim: (id) => request('POST', `/conversations/${enc(id)}/claim`, {}),
  close: (id) => request('POST', `/conversations/${enc(id)}/close`, {}),
  messages: (id, after) => request('GET', `/conversations/${enc(id)}/messages?after=${enc(after)}`),
  send: (id, body, clientMsgId) =>
    request('POST', `/conversations/${enc(id)}/messages`, { body, client_msg_id: clientMsgId }),
  visitor: (id) => request('GET', `/visitors/${enc(id)}`),
};

// uuid gives a client_msg_id. crypto.randomUUID exists only in secure
// contexts; a console served over plain http on a LAN still needs ids.
export function uuid() {
  if (globalThis.crypto && typeof crypto.randomUUID === 'function') {
    try {
      return crypto.randomUUID();
    } catch {
      // fall through
    }
  }
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
