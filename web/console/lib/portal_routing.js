// Widget settings with the portal's locks, listing agents, backup operators and
// the portal admin's overview of advertisers (DESIGN.md §5).

import { request } from './api.js';

const enc = encodeURIComponent;

export const portalRoutingApi = {
  settings: () => request('GET', '/settings'),
  saveSettings: (settings, locked) => request('PATCH', '/settings', locked === undefined ? { settings } : { settings, locked }),
  setListingOperators: (id, operatorIds) => request('PUT', `/listings/${enc(id)}/operators`, { operator_ids: operatorIds }),
  backup: () => request('GET', '/portal/backup'),
  setBackup: (enabled, operatorIds) => request('PUT', '/portal/backup', { enabled, operator_ids: operatorIds }),
  // A page of advertisers by name; q finds them by name or external id.
  advertisers: ({ q = '', cursor = '' } = {}) => {
    const params = new URLSearchParams();
    if (q) params.set('q', q);
    if (cursor) params.set('cursor', cursor);
    return request('GET', `/portal/advertisers?${params}`);
  },
};

// SETTING_FIELDS are the widget settings the console edits, in order.
export const SETTING_FIELDS = [
  { key: 'color', label: 'Colour', type: 'color' },
  { key: 'title', label: 'Title', type: 'text', max: 500 },
  { key: 'greeting', label: 'Greeting', type: 'textarea', max: 500 },
  { key: 'auto_open_after_seconds', label: 'Open the chat box after (seconds, 0 = never)', type: 'number', min: 0, max: 3600 },
  { key: 'prechat_form', label: 'Ask for name and e-mail before the chat', type: 'checkbox' },
  { key: 'offline_form', label: 'Offer the offline form when nobody is online', type: 'checkbox' },
  { key: 'video_enabled', label: 'Video calls', type: 'checkbox' },
];

// conversationPlace names where a chat came from for a portal's operators:
// the advertiser (for the portal's own staff) and the listing.
export function conversationPlace(conv, me) {
  const parts = [];
  if (conv.advertiser?.name && conv.account_id !== me?.account_id) parts.push(conv.advertiser.name);
  if (conv.flagged) parts.push('Unknown advertiser');
  return parts.join(' · ');
}
