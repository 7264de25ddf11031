// The header (brand, status, sound, sign out) and the connection bar.

import { h } from '../lib/dom.js';
import { soundEnabled } from '../lib/alerts.js';
import { avatar } from './team_form.js';

export class TopBar {
  // actions: setStatus(status), toggleSound(), logout(), openProfile(), openTeam()
  constructor(me, actions) {
    this.status = h(
      'select',
      { id: 'operator-status', class: 'status-select', testid: 'status', onchange: () => actions.setStatus(this.status.value) },
      h('option', { value: 'online' }, 'Online'),
      h('option', { value: 'away' }, 'Away'),
    );
    this.sound = h('button', { type: 'button', class: 'btn btn-quiet', testid: 'sound', onclick: () => actions.toggleSound() });
    this.name = h('button', { type: 'button', class: 'btn btn-quiet me-button', testid: 'open-profile', title: 'Your profile', onclick: () => actions.openProfile() });
    this.team = h('button', { type: 'button', class: 'btn btn-quiet', testid: 'open-team', onclick: () => actions.openTeam() });
    this.el = h(
      'header',
      { class: 'topbar' },
      h('span', { class: 'brand' }, h('img', { src: new URL('/console/icon.svg', location.href).href, alt: '', width: 24, height: 24 }), 'Portico'),
      h('span', { class: 'spacer' }),
      this.name,
      this.team,
      h('label', { class: 'visually-hidden', for: 'operator-status' }, 'Your status'),
      this.status,
      this.sound,
      h('button', { type: 'button', class: 'btn btn-quiet', testid: 'logout', onclick: () => actions.logout() }, 'Sign out'),
    );
    this.conn = h('div', { class: 'connbar', testid: 'conn-state', role: 'status', 'aria-live': 'polite' });
  }

  render(state) {
    const status = state.me.status;
    // An unknown or "offline" status gets its own option so the select does
    // not claim a status the server does not have.
    let extra = this.status.querySelector('option[data-extra]');
    if (status && status !== 'online' && status !== 'away') {
      if (!extra) {
        extra = h('option', { dataset: { extra: '1' }, disabled: true });
        this.status.append(extra);
      }
      extra.value = status;
      extra.textContent = status[0].toUpperCase() + status.slice(1);
    } else if (extra) extra.remove();
    if (this.status.value !== status) this.status.value = status || 'online';
    this.status.dataset.status = this.status.value;

    const me = state.me;
    const face = JSON.stringify([me.name, me.email, me.photo_url]);
    if (this.name.dataset.face !== face) {
      this.name.dataset.face = face;
      this.name.replaceChildren(avatar(me, 26), h('span', { class: 'me-name' }, me.name || me.email));
      this.name.setAttribute('aria-label', `Your profile: ${me.name || me.email}`);
    }
    this.team.textContent = me.role === 'admin' ? 'Team' : 'Replies';
    this.team.title = me.role === 'admin' ? 'Operators, canned responses, routing, proactive chat and usage' : 'Canned responses';

    const on = soundEnabled();
    this.sound.textContent = on ? 'Sound on' : 'Sound off';
    this.sound.setAttribute('aria-pressed', String(on));
    this.sound.title = on ? 'Play a sound when a chat is waiting' : 'No sound for new chats';

    const conn = state.connection;
    this.conn.dataset.state = conn;
    this.conn.hidden = conn === 'online';
    this.conn.textContent =
      conn === 'online'
        ? 'Connected'
        : conn === 'connecting'
          ? 'Connecting…'
          : conn === 'paused'
            ? 'Live updates from the other servers are paused; the console catches up when they are back'
            : 'Reconnecting…';
  }
}
