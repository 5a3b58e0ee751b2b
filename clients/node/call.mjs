// A phone call bridged the simplest correct way: Twilio Media Streams on one side, a Realtime
// session in G.711 mu-law (audio/pcmu, beta g711_ulaw) on the other, so audio passes through
// unconverted. The caller's 20 ms frames are appended as they arrive; the model's audio is
// played into the call in 20 ms frames at real time, a little ahead (a carrier's jitter buffer
// needs some, and a backlog of whole answers would make barge-in late). On barge-in it clears
// the call and says how much of each item cut short the caller heard: what was sent less what
// the carrier still had queued (the ms to truncate the item at).
import WebSocket from 'ws';

const FRAME_BYTES = 160; // 20 ms of 8 kHz mu-law
const FRAME_MS = 20;
const BYTES_PER_MS = FRAME_BYTES / FRAME_MS;
const LEAD_MS = 80; // how far ahead of the caller's ear the bridge keeps the call's queue
const TICK_MS = 10;
const PCMU = { format: { type: 'audio/pcmu' } };
export const PHONE_FORMATS = { input: PCMU, output: PCMU };

export class CallBridge {
  /** `append(base64)`: hand one caller frame to the Realtime session. */
  constructor(url, append) {
    this.url = url;
    this.append = append;
    this.socket = null;
    this.streamSid = null;
    this.pending = []; // model audio not yet sent into the call: [{itemId, audio, done}]
    this.sentMs = new Map(); // item id -> ms of its audio sent into the call
    this.lastSent = null; // the item of the last frame sent
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

  /** Model audio (mu-law bytes) of an item, for the call. */
  play(itemId, bytes) {
    const last = this.pending.at(-1);
    if (last?.itemId === itemId) last.audio = Buffer.concat([last.audio, bytes]);
    else this.pending.push({ itemId, audio: bytes, done: false });
  }

  /** The item has no more audio: its last frame may be short. */
  done(itemId) {
    for (const segment of this.pending) if (segment.itemId === itemId) segment.done = true;
  }

  /** Whether the caller hears (or is about to hear) model audio. */
  get playing() {
    return this.pending.length > 0 || this.queueEndsAt > performance.now();
  }

  /** Barge-in: drop what is queued here and at the carrier; returns [{itemId, heardMs}] for
   *  each item cut short (0 for one queued but never heard). */
  clear() {
    const queuedMs = Math.max(0, this.queueEndsAt - performance.now());
    const cut = new Map(this.pending.map(({ itemId }) => [itemId, this.sentMs.get(itemId) ?? 0]));
    if (queuedMs > 0 && this.lastSent) {
      cut.set(this.lastSent, Math.max(0, this.sentMs.get(this.lastSent) - queuedMs)); // still playing
    }
    this.pending = [];
    this.queueEndsAt = 0;
    this.send({ event: 'clear', streamSid: this.streamSid });
    return [...cut].map(([itemId, heardMs]) => ({ itemId, heardMs: Math.round(heardMs) }));
  }

  pump() {
    const now = performance.now();
    while (this.pending.length > 0 && this.queueEndsAt - now < LEAD_MS) {
      const segment = this.pending[0];
      if (segment.audio.length < FRAME_BYTES && !segment.done) return; // wait for a whole frame
      if (segment.audio.length === 0) {
        this.pending.shift();
        continue;
      }
      const frame = segment.audio.subarray(0, FRAME_BYTES);
      segment.audio = segment.audio.subarray(frame.length);
      const ms = frame.length / BYTES_PER_MS;
      this.queueEndsAt = Math.max(this.queueEndsAt, now) + ms;
      this.sentMs.set(segment.itemId, (this.sentMs.get(segment.itemId) ?? 0) + ms);
      this.lastSent = segment.itemId;
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
