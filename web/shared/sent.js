// Messages sent over the live socket (docs/protocol.md, "Sending messages"):
// each `send` frame waits for the `sent` frame that answers it. A socket lost
// before the answer leaves the message's fate unknown; the caller then sends it
// again with the same client_msg_id, which the server stores once.

// A `send` frame is at most this long; the longest message fits.
const MAX_FRAME_BYTES = 32 * 1024;
// An answer that takes longer is given up on, as a REST request would be.
const ANSWER_MS = 15000;

// createSentFrames keeps the sends waiting for their answer on one client.
// Once an answer has not come in time, every later message of the page goes
// over REST: a socket that keeps answering pings but loses `send` frames (a
// proxy that drops large frames) would otherwise cost each message the wait.
export function createSentFrames() {
  const waiting = new Map(); // client_msg_id -> {answer, resolve, timer}
  let unanswered = false;

  function settle(clientMsgId, frame) {
    const w = waiting.get(clientMsgId);
    if (!w) return;
    waiting.delete(clientMsgId);
    clearTimeout(w.timer);
    w.resolve(frame);
  }

  return {
    // send writes frame with write(text), which returns false when the socket
    // cannot take it, and resolves to the `sent` frame that answers it, or to
    // null when the socket could not carry it or was lost before the answer.
    send(write, frame) {
      const id = frame.client_msg_id;
      const earlier = waiting.get(id);
      if (earlier) return earlier.answer; // the same message, still on its way
      if (unanswered) return Promise.resolve(null);
      const text = JSON.stringify(frame);
      if (new TextEncoder().encode(text).length > MAX_FRAME_BYTES || !write(text)) return Promise.resolve(null);
      let resolve;
      const answer = new Promise((r) => (resolve = r));
      const timer = setTimeout(() => {
        unanswered = true;
        settle(id, null);
      }, ANSWER_MS);
      waiting.set(id, { answer, resolve, timer });
      return answer;
    },
    // answered takes a `sent` frame from the socket.
    answered(frame) {
      if (typeof frame.client_msg_id === 'string') settle(frame.client_msg_id, frame);
    },
    // lost gives up on every answer: the socket is gone.
    lost() {
      for (const id of [...waiting.keys()]) settle(id, null);
    },
  };
}

// stored says whether a `sent` frame reports the message stored (now or before).
export function stored(frame) {
  return frame.status === 200 || frame.status === 201;
}
