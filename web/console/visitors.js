// The Visitors area of the console: the live visitor model, loaded once per
// connection and then changed by the socket's visitor frames, its view,
// invitations to chat and their answers. The Console creates one and calls
// show(), onFrame(), resync(), fromURL() and destroy().

import { beep } from './lib/alerts.js';
import { VisitorModel, visitorTitle } from './lib/visitors.js';
import { visitorsApi } from './lib/visitors_api.js';
import { inviteDialog } from './views/invite_dialog.js';
import { VisitorsView } from './views/visitors.js';

const VISITORS_PATH = '/console/visitors';
const DETAIL_REFRESH_MS = 1000; // page views of the open visitor re-read their history at most this often
const EMPTY_FILTER = { q: '', chat: 'all', source: '', device: '' };

const wide = matchMedia('(min-width: 1100px)');

export class VisitorsArea {
  constructor(app) {
    this.app = app; // the Console: state, toasts, collab (area switch), select()
    this.model = new VisitorModel();
    this.filter = { ...EMPTY_FILTER };
    this.sort = 'site';
    this.selectedId = null;
    this.detail = null; // {id, visitor, data, loading, error, left}
    this.req = 0;
    this.visible = false;
    this.queued = false;
    this.ticker = 0;
    this.detailTimer = 0;
    this.view = new VisitorsView({
      setFilter: (part) => this.setFilter(part),
      setSort: (sort) => this.setSort(sort),
      clearFilters: () => this.setFilter({ ...EMPTY_FILTER }),
      select: (id) => this.select(id),
      close: () => this.close(),
      retry: () => this.load(),
      invite: (id) => this.invite(id),
      reloadDetail: () => this.loadDetail(),
      openConversation: (conv) => this.openConversation(conv),
      openChat: (id) => this.app.select(id),
    });
    this.el = this.view.el;
  }

  destroy() {
    this.destroyed = true;
    clearInterval(this.ticker);
    clearTimeout(this.detailTimer);
  }

  // --- loading ----------------------------------------------------------

  // resync runs after every (re)connect: frames may have been missed.
  resync() {
    this.load();
    if (this.detail) this.loadDetail();
  }

  async load() {
    const m = this.model;
    const req = ++this.req;
    m.begin();
    this.schedule();
    try {
      const res = await visitorsApi.online();
      if (req !== this.req || this.destroyed) return;
      m.replace(Array.isArray(res?.visitors) ? res.visitors : []);
    } catch (err) {
      if (req !== this.req || this.destroyed) return;
      m.fail(err.message);
    }
    this.touchChatPanel();
    this.schedule();
  }

  async loadDetail() {
    const d = this.detail;
    if (!d) return;
    clearTimeout(this.detailTimer);
    if (d.loading) {
      d.again = true;
      return;
    }
    d.loading = true;
    this.schedule();
    try {
      const data = await visitorsApi.visitor(d.id);
      if (this.detail !== d) return;
      d.data = data || {};
      d.error = '';
      if (!d.visitor && data?.visitor) d.visitor = data.visitor;
    } catch (err) {
      if (this.detail !== d || err.status === 401) return;
      d.error = err.status === 404 ? 'This visitor does not exist or is not yours to see.' : err.message;
    } finally {
      d.loading = false;
      if (d.again && this.detail === d) {
        d.again = false;
        this.loadDetail();
      }
      this.schedule();
    }
  }

  refreshDetailSoon() {
    clearTimeout(this.detailTimer);
    this.detailTimer = setTimeout(() => this.loadDetail(), DETAIL_REFRESH_MS);
  }

  // --- rendering --------------------------------------------------------

  // show is called on every render of the console: is the area on screen?
  show(visible) {
    if (visible === this.visible) return;
    this.visible = visible;
    this.el.hidden = !visible;
    clearInterval(this.ticker);
    if (visible) {
      // Before the socket's first hello, resync() loads; after it, a failed
      // load is tried again when the area is opened.
      const m = this.model;
      if (!m.loaded && !m.loading && this.app.socket?.connected) this.load();
      // Time on page and on site tick for the rows on screen only.
      this.ticker = setInterval(() => {
        if (document.visibilityState === 'visible') this.view.tick();
      }, 1000);
      this.flush();
    }
  }

  // schedule renders once per animation frame however many frames came.
  schedule() {
    if (this.queued || this.destroyed) return;
    this.queued = true;
    requestAnimationFrame(() => {
      this.queued = false;
      if (!this.destroyed) this.flush();
    });
  }

  flush() {
    const m = this.model;
    this.app.collab.nav.setCount('visitors', m.loaded ? m.onlineCount() : null);
    if (this.visible) this.view.render(this);
  }

  // --- navigation -------------------------------------------------------

  // fromURL opens what /console/visitors[/id] names.
  fromURL(id) {
    this.open(id || null, { push: false });
  }

  // open shows a visitor's details (null: none) and keeps the address in step.
  open(id, { push = true, replace = false } = {}) {
    if (id !== this.selectedId) {
      this.selectedId = id;
      clearTimeout(this.detailTimer);
      this.detail = id ? { id, visitor: this.model.get(id) || null, data: null, loading: false, error: '', left: false } : null;
      if (id) this.loadDetail();
    }
    const url = VISITORS_PATH + (id ? `/${encodeURIComponent(id)}` : '');
    if (push && location.pathname !== url) {
      if (replace) history.replaceState(null, '', url);
      else history.pushState(null, '', url);
    }
    this.schedule();
  }

  // select is a click or Enter on a row. On a wide screen the focus stays in
  // the list (the arrow keys go on); else the details take the screen.
  select(id) {
    this.open(id);
    this.flush();
    if (!wide.matches) this.view.detail.focus();
  }

  close() {
    const id = this.selectedId;
    this.open(null);
    this.flush();
    if (id) this.view.focusRow(id);
  }

  setFilter(part) {
    this.filter = { ...this.filter, ...part };
    this.view.resetScroll();
    this.schedule();
  }

  setSort(sort) {
    this.sort = sort;
    this.view.resetScroll();
    this.schedule();
  }

  // openConversation opens an earlier conversation: a closed one as its
  // transcript in History, an open one in the chats.
  openConversation(conv) {
    if (conv.status === 'closed') this.app.collab.showTranscript(conv.id);
    else this.app.select(conv.id);
  }

  // --- frames -----------------------------------------------------------

  // onFrame takes the visitor and invitation frames; true means handled.
  onFrame(frame) {
    if (frame.type === 'visitor') {
      const change = this.model.apply(frame);
      if (change) this.changed(change);
      return true;
    }
    if (frame.type === 'invitation') {
      if (frame.invitation?.visitor_id) this.onInvitation(frame);
      return true;
    }
    return false;
  }

  changed({ event, id, before }) {
    const d = this.detail;
    const selected = !!d && d.id === id;
    if (event === 'left' && before) {
      if (selected) {
        d.visitor = before;
        d.left = true;
      }
      // The line in the open details says it; else a toast, for the visitors that matter.
      if ((selected && !this.visible) || (!selected && before.chat)) this.app.toasts.show(`${visitorTitle(before)} left the website`);
    }
    if ((event === 'online' || event === 'updated') && selected) {
      const v = this.model.get(id);
      d.left = false;
      d.visitor = v;
      // A new page or a new chat: the pages and conversations changed.
      if (
        !before ||
        before.visit?.page_count !== v.visit?.page_count ||
        before.page?.url !== v.page?.url ||
        before.chat?.conversation_id !== v.chat?.conversation_id ||
        before.chats !== v.chats
      ) {
        this.refreshDetailSoon();
      }
    }
    if (this.inChatPanel(id)) this.app.invalidate();
    this.schedule();
  }

  onInvitation({ event, invitation: inv }) {
    if (event !== 'accepted' && event !== 'declined') return;
    const id = inv.visitor_id;
    this.model.mark(id, event);
    const d = this.detail;
    if (d?.id === id && d.data) {
      const list = (d.data.invitations || []).filter((x) => x.id !== inv.id);
      d.data = { ...d.data, invitations: [...list, inv] };
    }
    const me = this.app.state.me;
    if (inv.operator?.id === me.id && inv.kind !== 'proactive') {
      const name = this.nameOf(id);
      if (event === 'accepted') {
        this.app.toasts.show(`${name} accepted your invitation`);
        beep();
        // The chat is this operator's: open it.
        if (inv.conversation_id) this.app.select(inv.conversation_id);
      } else {
        this.app.toasts.show(`${name} declined your invitation`);
      }
    }
    this.schedule();
  }

  nameOf(id) {
    const v = this.model.get(id) || (this.detail?.id === id ? this.detail.visitor : null);
    return visitorTitle(v || { id });
  }

  // The chat's visitor panel (views/visitor.js) shows live fields too.
  inChatPanel(visitorId) {
    const s = this.app.state;
    const conv = s.selectedId && s.conversations.get(s.selectedId);
    return !!conv && conv.visitor_id === visitorId;
  }

  touchChatPanel() {
    const s = this.app.state;
    if (s.selectedId) this.app.invalidate();
  }

  // --- invitations ------------------------------------------------------

  async invite(id) {
    const d = this.detail;
    // Before the list's first answer the details' own copy of the visitor decides.
    const v = this.model.get(id) || (!this.model.loaded && d?.id === id ? d.visitor || d.data?.visitor : null);
    if (!v || v.online === false || v.chat) return;
    const res = await inviteDialog({ name: visitorTitle(v), send: (message) => visitorsApi.invite(id, message) });
    if (!res || this.destroyed) return;
    this.model.mark(id, 'invited');
    if (res.invitation && d && this.detail === d && d.data) {
      d.data = { ...d.data, invitations: [...(d.data.invitations || []), res.invitation] };
    }
    this.app.toasts.show('Invitation sent');
    this.schedule();
  }
}
