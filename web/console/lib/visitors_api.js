// REST calls for the live visitors: the list, one visitor's details,
// invitations to chat and the proactive chat rules.

import { request } from './api.js';

const enc = encodeURIComponent;

export const visitorsApi = {
  online: () => request('GET', '/visitors?online=true'),
  visitor: (id) => request('GET', `/visitors/${enc(id)}`),
  invite: (id, message) => request('POST', `/visitors/${enc(id)}/invite`, { message }),
  invitationStats: () => request('GET', '/invitations/stats'),

  rules: () => request('GET', '/proactive-rules'),
  createRule: (body) => request('POST', '/proactive-rules', body),
  updateRule: (id, body) => request('PATCH', `/proactive-rules/${enc(id)}`, body),
  deleteRule: (id) => request('DELETE', `/proactive-rules/${enc(id)}`),
};
