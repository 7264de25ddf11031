// The operator's live connection (docs/protocol.md): heartbeats, dead-link
// detection and reconnection with back-off. Frames are only a prompt: after
// every (re)connect the console catches up over REST. Messages may go over it
// too (sendMessage): their `sent` answers are handled here.
import { createSentFrames } from '../../shared/sent.js';

const DEAD_AFTER_MS = 10_000; // no frame this long after a ping (or the upgrade): dead
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10_000;

export function operatorSocketURL() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/api/v1/ws?resync=1`;
}

// LiveSocket callbacks:
//   onHello(frame)   connected (first time or again), or told to resync: time
//                    to catch up over REST
//   onFrame(frame)   any other frame
//   onState(state)   'connecting' | 'online' | 'reconnecting' | 'paused' (online,
//                    but this server is cut off from the others until a resync)
//   onUnauthorized() close code 4401: the session is over
//   onFailedOpen()   the upgrade failed; the browser hides the HTTP status,
//                    so the owner checks whether the session still exists
export class LiveSocket {
  constructor(url, handlers) {
    this.url = url;
    this.h = handlers;
    this.ws = null;
    this.attempt = 0;
    this.stopped = true;
    this.connected = false;
    this.sends = false; // the hello said the socket takes `send` frames
    this.everConnected = false;
    this.heartbeatMs = 25_000;
    this.retryTimer = 0;
    this.pingTimer = 0;
    this.deadTimer = 0;
    this.sent = createSentFrames();
    this.onOnline = () => this.reconnectNow();
    this.onVisible = () => {
      if (document.visibilityState === 'visible') this.reconnectNow();
    };
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    addEventListener('online', this.onOnline);
    document.addEventListener('visibilitychange', this.onVisible);
    this.connect();
  }

  stop() {
    this.stopped = true;
    removeEventListener('online', this.onOnline);
    document.removeEventListener('visibilitychange', this.onVisible);
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    this.sent.lost();
    if (ws) ws.close(1000);
  }

  // send returns false when the frame could not be sent (not connected);
  // the console's frames (ping, typing) are all safe to drop.
  send(frame) {
    if (!this.connected || !this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  // sendMessage sends a `send` frame while connected and resolves to its
  // `sent` answer, or to null when the socket cannot carry it or is lost first
  // (shared/sent.js): the caller then sends it over REST.
  sendMessage(frame) {
    return this.sent.send((text) => {
      if (!this.connected || !this.sends || !this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
      this.ws.send(text);
      return true;
    }, frame);
  }

  // reconnectNow skips the back-off wait: the network just came back or the
  // operator looked at the tab again.
  reconnectNow() {
    if (this.stopped || this.ws) return;
    this.attempt = 0;
    this.connect();
  }

  connect() {
    this.clearTimers();
    this.setState(this.everConnected ? 'reconnecting' : 'connecting');
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    let opened = false;
    // The hello must come within the dead-link window, like any pong.
    this.armDeadline();

    ws.onopen = () => {
      opened = true;
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      clearTimeout(this.deadTimer);
      let frame;
      try {
        frame = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (!frame || typeof frame.type !== 'string') return;
      if (frame.type === 'hello') this.hello(frame);
      else if (frame.type === 'pong') return;
      else if (frame.type === 'reconnect') this.drop(Math.random() * BACKOFF_MIN_MS);
      // Live events may have been lost, but the socket is good: catch up on it.
      else if (frame.type === 'resync') {
        this.setState('online');
        this.h.onHello(frame);
      } else if (frame.type === 'paused') this.setState('paused');
      else if (frame.type === 'sent') this.sent.answered(frame);
      else this.h.onFrame(frame);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return; // a socket we already gave up on
      this.ws = null;
      this.connected = false;
      this.clearTimers();
      this.sent.lost();
      if (this.stopped) return;
      if (ev.code === 4401) {
        this.stopped = true;
        this.setState('reconnecting');
        this.h.onUnauthorized();
        return;
      }
      if (!opened && this.h.onFailedOpen) this.h.onFailedOpen();
      this.scheduleReconnect();
    };
  }

  hello(frame) {
    this.connected = true;
    this.sends = frame.send === true;
    this.everConnected = true;
    this.attempt = 0;
    const seconds = Number(frame.heartbeat_seconds);
    this.heartbeatMs = seconds > 0 ? seconds * 1000 : 25_000;
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => this.ping(), this.heartbeatMs);
    this.setState('online');
    this.h.onHello(frame);
  }

  ping() {
    if (this.send({ type: 'ping' })) this.armDeadline();
  }

  armDeadline() {
    clearTimeout(this.deadTimer);
    this.deadTimer = setTimeout(() => this.drop(), DEAD_AFTER_MS);
  }

  // drop abandons the current socket and reconnects, after delayMs or after
  // the usual back-off.
  drop(delayMs) {
    const ws = this.ws;
    this.ws = null;
    this.connected = false;
    this.clearTimers();
    this.sent.lost();
    if (ws) {
      ws.onclose = null;
      try {
        ws.close(1000);
      } catch {
        // already closing
      }
    }
    if (this.stopped) return;
    this.setState('reconnecting');
    if (delayMs === undefined) this.scheduleReconnect();
    else this.retryTimer = setTimeout(() => this.connect(), delayMs);
  }

  scheduleReconnect() {
    this.setState(this.everConnected ? 'reconnecting' : 'connecting');
    // Exponential back-off (0.5 s, 1 s, 2 s … 10 s) with ±20 % jitter, so that
    // the consoles a restarted server dropped do not all return at once.
    const step = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
    this.attempt++;
    const delay = Math.min(BACKOFF_MAX_MS, step * (0.8 + Math.random() * 0.4));
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  clearTimers() {
    clearTimeout(this.retryTimer);
    clearTimeout(this.deadTimer);
    clearInterval(this.pingTimer);
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.h.onState(state);
  }
}
