// Team work in the console: the profile dialog, the team dialog (operators,
// canned responses, routing, proactive chat, usage), canned response suggestions in the
// composer, the alert sound saved to the profile, and "a colleague picked up
// the chat" notices.

import { api } from '../lib/api.js';
import { setSoundEnabled } from '../lib/alerts.js';
import { h } from '../lib/dom.js';
import { teamApi } from '../lib/team_api.js';
import { CannedSuggest } from './canned_suggest.js';
import { openProfile } from './profile.js';
import { CannedPanel } from './team_canned.js';
import { OperatorsPanel } from './team_operators.js';
import { ProactivePanel } from './team_proactive.js';
import { RoutingPanel } from './team_routing.js';
import { UsagePanel } from './team_usage.js';

export class Team {
  // con is the Console: its state, toasts, socket, chat view and invalidate().
  constructor(con) {
    this.con = con;
    this.canned = [];
    this.open = null; // the team dialog's panels while it is open
    const { form, textarea } = con.chat.composer;
    this.suggest = new CannedSuggest(form, textarea, () => this.canned);
    setSoundEnabled(con.state.me.alert_sound !== false);
    this.loadCanned();
  }

  get me() {
    return this.con.state.me;
  }

  toast(text, kind) {
    this.con.toasts.show(text, kind);
  }

  async loadCanned() {
    try {
      const { canned_responses: list } = await teamApi.canned();
      this.canned = list || [];
    } catch {
      // Suggestions stay as they were; the team dialog shows the error.
    }
  }

  meChanged(op) {
    const s = this.con.state;
    s.me = { ...s.me, ...op };
    setSoundEnabled(s.me.alert_sound !== false);
    this.con.invalidate();
  }

  openProfile() {
    openProfile(this.me, { onChanged: (op) => this.meChanged(op), toast: (t) => this.toast(t) });
  }

  // setAlertSound is the top bar's sound toggle: the choice is kept in the profile.
  async setAlertSound(on) {
    const before = this.me.alert_sound !== false;
    this.meChanged({ alert_sound: on });
    try {
      const res = await teamApi.updateMe({ alert_sound: on });
      this.meChanged({ alert_sound: res.operator.alert_sound });
    } catch (err) {
      this.meChanged({ alert_sound: before });
      if (err.status !== 401) this.toast(`Could not save the sound setting: ${err.message}`, 'error');
    }
  }

  // onConversation tells the operator, when they asked for it, that a
  // colleague picked up a chat they had been alerted to.
  onConversation(event, conv, by) {
    const s = this.con.state;
    if (event !== 'claimed' || !by || by.id === s.me.id || !s.me.notify_colleague_pickup || !s.alerted.has(conv.id)) return;
    this.toast(`${by.name || 'A colleague'} picked up the chat`);
  }

  onOperatorFrame(frame) {
    if (frame.operator && this.open?.operators) this.open.operators.onOperator(frame);
  }

  // recheckSession runs when the socket was closed with 4401: the session may
  // have ended (signed out, deleted) or only the role changed. GET /me tells.
  async recheckSession() {
    const con = this.con;
    try {
      const { operator } = await api.me({ handle401: false });
      this.meChanged(operator);
      if (!con.destroyed) con.socket.start();
    } catch (err) {
      if (err.status === 401) con.sessionEnded();
      else if (!con.destroyed) con.socket.start();
    }
  }

  openTeam() {
    const admin = this.me.role === 'admin';
    const ctx = {
      me: () => this.me,
      isAdmin: () => this.me.role === 'admin',
      toast: (t, k) => this.toast(t, k),
      changed: (list) => (this.canned = list),
    };
    const panels = { canned: new CannedPanel(ctx) };
    const tabs = [['canned', 'Canned responses']];
    if (admin) {
      panels.operators = new OperatorsPanel(ctx);
      panels.routing = new RoutingPanel(ctx);
      panels.proactive = new ProactivePanel(ctx);
      panels.usage = new UsagePanel();
      tabs.unshift(['operators', 'Operators']);
      tabs.push(['routing', 'Routing'], ['proactive', 'Proactive chat'], ['usage', 'Usage']);
    }
    this.open = panels;

    const tabButtons = tabs.map(([key, label]) =>
      h('button', { type: 'button', role: 'tab', id: `team-tab-${key}`, class: 'tab', testid: `team-tab-${key}`, 'aria-controls': `team-panel-${key}`, onclick: () => select(key, true) }, label),
    );
    const bodies = tabs.map(([key]) => {
      const el = panels[key].el;
      el.id = `team-panel-${key}`;
      el.setAttribute('role', 'tabpanel');
      el.setAttribute('aria-labelledby', `team-tab-${key}`);
      return el;
    });
    const loaded = new Set();
    const select = (key, focus) => {
      tabs.forEach(([k], i) => {
        const on = k === key;
        tabButtons[i].setAttribute('aria-selected', String(on));
        tabButtons[i].tabIndex = on ? 0 : -1;
        bodies[i].hidden = !on;
        if (on && focus) tabButtons[i].focus();
      });
      if (!loaded.has(key)) {
        loaded.add(key);
        panels[key].load();
      }
    };
    const tablist = h('div', { role: 'tablist', class: 'tabs', 'aria-label': 'Team' }, tabButtons);
    tablist.addEventListener('keydown', (ev) => {
      const i = tabButtons.indexOf(document.activeElement);
      if (i < 0) return;
      let next = -1;
      if (ev.key === 'ArrowRight') next = (i + 1) % tabs.length;
      else if (ev.key === 'ArrowLeft') next = (i - 1 + tabs.length) % tabs.length;
      else if (ev.key === 'Home') next = 0;
      else if (ev.key === 'End') next = tabs.length - 1;
      if (next < 0) return;
      ev.preventDefault();
      select(tabs[next][0], true);
    });

    const title = admin ? 'Team' : 'Canned responses';
    const dialog = h(
      'dialog',
      { class: 'dialog dialog-team', 'aria-labelledby': 'team-title', testid: 'team-dialog' },
      h(
        'div',
        { class: 'team-head' },
        h('h2', { id: 'team-title' }, title),
        h('button', { type: 'button', class: 'btn btn-icon btn-quiet', 'aria-label': 'Close', testid: 'team-close', onclick: () => dialog.close() }, '×'),
      ),
      tabs.length > 1 ? tablist : null,
      bodies,
    );
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (this.open === panels) this.open = null;
      this.loadCanned();
    });
    document.body.append(dialog);
    dialog.showModal();
    select(tabs[0][0], tabs.length > 1);
  }
}
