// REST calls for team work: operators, usage, profile and photo, canned
// responses and routing rules.

import { ApiError, csrfToken, request } from './api.js';

const enc = encodeURIComponent;

export const teamApi = {
  operators: () => request('GET', '/operators'),
  createOperator: (body) => request('POST', '/operators', body),
  updateOperator: (id, body) => request('PATCH', `/operators/${enc(id)}`, body),
  deleteOperator: (id) => request('DELETE', `/operators/${enc(id)}`),
  usage: (months) => request('GET', `/usage?months=${enc(months)}`),

  updateMe: (body) => request('PATCH', '/me', body),
  deletePhoto: () => request('DELETE', '/me/photo'),
  uploadPhoto,

  canned: () => request('GET', '/canned-responses'),
  createCanned: (body) => request('POST', '/canned-responses', body),
  updateCanned: (id, body) => request('PATCH', `/canned-responses/${enc(id)}`, body),
  deleteCanned: (id) => request('DELETE', `/canned-responses/${enc(id)}`),

  rules: () => request('GET', '/routing-rules'),
  createRule: (body) => request('POST', '/routing-rules', body),
  updateRule: (id, body) => request('PATCH', `/routing-rules/${enc(id)}`, body),
  deleteRule: (id) => request('DELETE', `/routing-rules/${enc(id)}`),
};

// uploadPhoto sends the file as the raw body; the server reads its type from
// its bytes.
async function uploadPhoto(file) {
  let res;
  let data = null;
  try {
    res = await fetch('/api/v1/me/photo', {
      method: 'POST',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { Accept: 'application/json', 'Content-Type': file.type || 'application/octet-stream', 'X-CSRF-Token': csrfToken() },
      body: file,
    });
    data = await res.json().catch(() => null);
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach the server. Check the connection and try again.');
  }
  if (!res.ok) {
    const e = (data && data.error) || {};
    throw new ApiError(res.status, e.code || `http_${res.status}`, e.message || `The server answered ${res.status}.`, data);
  }
  return data;
}

// photoSrc makes a photo_url usable in the console: root-relative URLs are
// on this server.
export function photoSrc(url) {
  if (!url) return '';
  try {
    return new URL(url, location.href).href;
  } catch {
    return '';
  }
}
