// REST client for the widget API (/api/v1/widget/...). Every answer that is
// not 2xx becomes an ApiError carrying the server's own message.
import { T } from './text.js';

const TIMEOUT_MS = 15000;

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status; // 0: no answer at all
    this.code = code;
  }

  // Worth trying again later with the same request: sending is idempotent
  // thanks to client_msg_id, so a lost answer must never lose a message.
  get retryable() {
    const s = this.status;
    return s === 0 || s === 408 || s === 429 || s >= 500;
  }
}

export function createApi(base) {
  let token = '';

  async function call(method, path, body) {
    const headers = {};
    if (body) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = 'Bearer ' + token;
    // A request that hangs would hold up the outbox; give up and retry instead.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    let res;
    try {
      res = await fetch(base + '/api/v1/widget' + path, {
        method,
        headers,
        body: body ? JSON.stringify(body) : undefined,
        credentials: 'omit',
        signal: abort.signal,
      });
    } catch (e) {
      throw new ApiError(0, 'network', T.noConnection);
    } finally {
      clearTimeout(timer);
    }
    let data = null;
    try {
      data = await res.json();
    } catch (e) {
      // 202 and 204 have no body.
    }
    if (!res.ok) {
      const err = (data && data.error) || {};
      throw new ApiError(res.status, err.code || 'http_' + res.status, err.message || T.failed);
    }
    return data || {};
  }

  return {
    setToken(t) {
      token = t;
    },
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body),
  };
}
