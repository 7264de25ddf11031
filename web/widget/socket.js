// The visitor's live connection (docs/protocol.md): heartbeats, detection of a
// dead connection, and reconnects with exponential back-off and jitter.
// hello, pong, reconnect, resync and the answers to messages sent over it
// (sent) are handled here; every other frame goes to onFrame.
import { createSentFrames } from '../shared/sent.js';

const DEAD_AFTER_MS = 10000;
const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 10000;
const UNAUTHORIZED = 4401;

export function createSocket(url, { onUp, onFrame, onChange, onUnauthorized }) {
  let ws = null;
  let up = false; // hello received on the current socket
  let sends = false; // and it said the socket takes `send` frames
  let dropped = false; // lost a connection (or failed to get one) at least once
  let attempt = 0;
  let heartbeatMs = 25000;
  let retryTimer = 0;
  let pingTimer = 0;
  let deadTimer = 0;
  const sent = createSentFrames();

  function connect() {
    clearTimeout(retryTimer);
    retryTimer = 0;
    let sock;
    try {
      sock = new WebSocket(url());
    } catch (e) {
      lost(false);
      return;
    }
    ws = sock;
    // The server speaks first (hello); silence means the connection is no good.
    sock.onopen = () => expectFrame();
    sock.onmessage = (ev) => {
      if (sock !== ws) return;
      clearTimeout(deadTimer);
      let f;
      try {
        f = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      if (f.type === 'hello') {
        heartbeatMs = (f.heartbeat_seconds > 0 ? f.heartbeat_seconds : 25) * 1000;
        attempt = 0;
        up = true;
        sends = f.send === true;
        schedulePing();
        onChange();
        onUp();
      } else if (f.type === 'reconnect') {
        lost(true);
      } else if (f.type === 'resync') {
        onUp(); // live events may have been lost: catch up as after a reconnect
      } else if (f.type === 'sent') {
        sent.answered(f);
      } else if (f.type !== 'pong') {
        onFrame(f);
      }
    };
    sock.onclose = (ev) => {
      if (sock !== ws) return;
      if (ev.code === UNAUTHORIZED) {
        reset();
        onChange();
        onUnauthorized();
      } else {
        lost(false);
      }
    };
  }

  // reset forgets the current socket; its late events are ignored.
  function reset() {
    const sock = ws;
    ws = null;
    up = false;
    dropped = true;
    clearTimeout(pingTimer);
    clearTimeout(deadTimer);
    if (sock && sock.readyState < 2) sock.close();
    sent.lost();
  }

  // lost reconnects after a back-off: 0.5 s, 1 s, 2 s … 10 s, each with jitter
  // so that visitors dropped together do not come back together. A server
  // that asks us to move (`reconnect`) gets us back within a second.
  function lost(soon) {
    reset();
    onChange();
    const cap = soon ? 1000 : Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** attempt++);
    retryTimer = setTimeout(connect, cap / 2 + (Math.random() * cap) / 2);
  }

  function schedulePing() {
    clearTimeout(pingTimer);
    pingTimer = setTimeout(ping, heartbeatMs);
  }

  function ping() {
    if (send({ type: 'ping' })) expectFrame();
    schedulePing();
  }

  function expectFrame() {
    clearTimeout(deadTimer);
    deadTimer = setTimeout(() => lost(false), DEAD_AFTER_MS);
  }

  function send(frame) {
    if (!ws || ws.readyState !== 1) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  return {
    connect,
    send,
    // sendMessage sends a `send` frame once the socket is up and resolves to
    // its `sent` answer, or to null when the socket cannot carry it or is lost
    // first (shared/sent.js).
    sendMessage(frame) {
      return sent.send((text) => {
        if (!up || !sends || !ws || ws.readyState !== 1) return false;
        ws.send(text);
        return true;
      }, frame);
    },
    get up() {
      return up;
    },
    get dropped() {
      return dropped;
    },
    raw: () => ws,
    // restart swaps the connection for a new one now: the server knows the
    // visitor by another id since two visitors became one. That is no drop,
    // so "Reconnecting…" does not show.
    restart() {
      const was = dropped;
      reset();
      dropped = was;
      connect();
    },
    // wake is called when the network comes back or the tab becomes visible:
    // a dead socket reconnects now, a live one is probed with a ping, since
    // timers may have slept along with the tab or the laptop.
    wake() {
      if (up) {
        ping();
      } else if (retryTimer) {
        attempt = 0;
        connect();
      }
    },
  };
}
