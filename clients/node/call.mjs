// A phone call bridged the simplest correct way: Twilio Media Streams on one side, a Realtime
// session in G.711 mu-law (audio/pcmu, beta g711_ulaw) on the other, so audio passes through
// unconverted. The caller's 20 ms frames are appended as they arrive; the model's audio is
// played into the call in 20 ms frames at real time, a little ahead (a carrier's jitter buffer
// needs some, and a backlog of whole answers would make barge-in late); barge-in clears it.
import WebSocket from 'ws';

const FRAME_BYTES = 160; // 20 ms of 8 kHz mu-law
const FRAME_MS = 20;
const LEAD_MS = 80; // how far ahead of the caller's ear the bridge keeps the call's queue
const TICK_MS = 10;
export const PHONE_FORMATS = { input: { format: { type: 'audio/pcmu' } }, output: { format: { type: 'audio/pcmu' } } };

export class CallBridge {
  /** `append(base64)`: hand one caller frame to the Realtime session. */
  constructor(url, append) {
    this.url = url;
    this.append = append;
    this.socket = null;
    this.streamSid = null;
    this.pending = Buffer.alloc(0); // model audio not yet sent into the call
    this.drain = false; // the item is complete: send a last short frame too
    this.queueEndsAt = 0; // performance.now() when the call's queue will have played out
    this.timer = null;
  }

  /** Dial the call's media socket; resolves at the stream's `start` (its streamSid). */
  open() {
    this.socket = new WebSocket(this.url);
    this.socket.on('message', (data) => this.onMessage(data));
    this.timer = setInterval(() => this.pump(), TICK_MS);
    return new Promise((resolve, reject) => {
      this.started = resolve;
      this.socket.once('error', reject);
      this.socket.once('close', () => reject(new Error('the call closed before its start event')));
    });
  }

  onMessage(data) {
    let message;
    try {
      message = JSON.parse(data.toString());
    } catch {
      return process.stderr.write(`call: not JSON: ${data.toString().slice(0, 80)}\n`);
    }
    if (message.event === 'start') {
      this.streamSid = message.start?.streamSid ?? message.streamSid;
      this.started?.();
    } else if (message.event === 'media' && (message.media?.track ?? 'inbound') === 'inbound') {
      this.append(message.media.payload);
    }
  }

  /** Model audio (mu-law bytes) for the call; `done` once its item has no more. */
  play(bytes) {
    this.pending = Buffer.concat([this.pending, bytes]);
    this.drain = false;
  }

  done() {
    this.drain = true;
  }

  /** Barge-in: drop what is queued here and at the carrier. */
  clear() {
    this.pending = Buffer.alloc(0);
    this.queueEndsAt = 0;
    this.send({ event: 'clear', streamSid: this.streamSid });
  }

  pump() {
    const now = performance.now();
    while (this.pending.length >= FRAME_BYTES || (this.drain && this.pending.length > 0)) {
      if (Math.max(this.queueEndsAt, now) - now >= LEAD_MS) return;
      const frame = this.pending.subarray(0, FRAME_BYTES);
      this.pending = this.pending.subarray(frame.length);
      this.queueEndsAt = Math.max(this.queueEndsAt, now) + (frame.length / FRAME_BYTES) * FRAME_MS;
      this.send({ event: 'media', streamSid: this.streamSid, media: { payload: frame.toString('base64') } });
    }
  }

  send(message) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  close() {
    clearInterval(this.timer);
    this.socket?.close();
  }
}
