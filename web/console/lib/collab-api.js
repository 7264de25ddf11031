// REST calls of working together: transfers and invitations, colleague
// rooms, the chat history and its export.

import { request } from './api.js';

const enc = encodeURIComponent;

export const collabApi = {
  colleagues: () => request('GET', '/operators'),
  transfer: (id, operatorId, note) => request('POST', `/conversations/${enc(id)}/transfer`, { operator_id: operatorId, note }),
  transfers: (id) => request('GET', `/conversations/${enc(id)}/transfers`),
  invite: (id, operatorId) => request('POST', `/conversations/${enc(id)}/invite`, { operator_id: operatorId }),
  leave: (id) => request('POST', `/conversations/${enc(id)}/leave`, {}),

  rooms: () => request('GET', '/rooms'),
  room: (id) => request('GET', `/rooms/${enc(id)}`),
  createRoom: (memberIds, name) => request('POST', '/rooms', name ? { name, member_ids: memberIds } : { member_ids: memberIds }),
  roomMessages: (id, after) => request('GET', `/rooms/${enc(id)}/messages?after=${enc(after)}`),
  sendRoom: (id, body, clientMsgId) => request('POST', `/rooms/${enc(id)}/messages`, { body, client_msg_id: clientMsgId }),
  markRoomRead: (id, seq) => request('POST', `/rooms/${enc(id)}/read`, { seq }),
  addRoomMember: (id, operatorId) => request('POST', `/rooms/${enc(id)}/members`, { operator_id: operatorId }),
  setRoomAdmin: (id, operatorId, admin) => request('PATCH', `/rooms/${enc(id)}/members/${enc(operatorId)}`, { admin }),
  removeRoomMember: (id, operatorId) => request('DELETE', `/rooms/${enc(id)}/members/${enc(operatorId)}`),
  leaveRoom: (id) => request('POST', `/rooms/${enc(id)}/leave`, {}),

  // history takes {q, from, to, operator_id, visitor_id, account_id, cursor}; empty values are left out.
  history: (params) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
    return request('GET', `/history?${q}`);
  },
  conversation: (id) => request('GET', `/conversations/${enc(id)}`),
  messages: (id, after) => request('GET', `/conversations/${enc(id)}/messages?after=${enc(after)}`),
};

// exportURL is where the browser downloads a transcript (same origin, with the session cookie).
export function exportURL(id, format) {
  return new URL(`/api/v1/conversations/${enc(id)}/export?format=${enc(format)}`, location.href).href;
}
