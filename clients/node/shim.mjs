#!/usr/bin/env node
// The official `openai` npm package's Realtime WebSocket client (OpenAIRealtimeWS), driven by
// the realtime-conformance suite's command protocol: one JSON command per line on stdin, one
// reply per command on stdout (refclient/driver.py's docstring; schemas/ describes every line).
//
//   in:  {"id": 1, "method": "start", "params": {"realtime_url": "ws://...", "api_key": "...",
//                                                 "dialect": "ga", "model": "gpt-realtime"}}
//   out: {"id": 1, "ok": true}        or        {"id": 1, "ok": false, "error": "..."}
//
// The SDK sends and receives; the few rules a correct application adds on top live here:
// one response at a time (a response.create while one is active waits for response.done),
// each function call answered once, then ONE response.create. Diagnostics go to stderr.
import net from 'node:net';
import readline from 'node:readline';
import OpenAI from 'openai';
import { OpenAIRealtimeWS as GARealtimeWS } from 'openai/realtime/ws';
import { OpenAIRealtimeWS as BetaRealtimeWS } from 'openai/beta/realtime/ws';
import { CallBridge, PHONE_FORMATS } from './call.mjs';

const CAPABILITIES = ['audio', 'methods', 'telephony', 'text', 'tools', 'truncation'];
// call_method names and the client event each sends (rtproto/client/methods.py).
const METHODS = {
  session_update: 'session.update',
  response_create: 'response.create',
  response_cancel: 'response.cancel',
  conversation_item_create: 'conversation.item.create',
  conversation_item_delete: 'conversation.item.delete',
  conversation_item_retrieve: 'conversation.item.retrieve',
  conversation_item_truncate: 'conversation.item.truncate',
  input_audio_buffer_clear: 'input_audio_buffer.clear',
  input_audio_buffer_append: 'input_audio_buffer.append',
  input_audio_buffer_commit: 'input_audio_buffer.commit',
};
const AUDIO_DELTAS = new Set(['response.output_audio.delta', 'response.audio.delta']); // GA, beta
const AUDIO_DONE = new Set(['response.output_audio.done', 'response.audio.done']);
// Errors that refuse a response.create even without naming its event_id.
const REFUSALS = new Set(['rate_limit_exceeded', 'conversation_already_has_active_response']);

// -- GA -> beta shapes (rtproto/dialects.py): the suite speaks GA, a beta client sends beta --
const FORMATS = { 'audio/pcm': 'pcm16', 'audio/pcmu': 'g711_ulaw', 'audio/pcma': 'g711_alaw' };
const format = (value) => (value && typeof value === 'object' ? FORMATS[value.type] : value);
const noIdleTimeout = (value) => {
  if (!value || typeof value !== 'object') return value;
  const { idle_timeout_ms: _dropped, ...rest } = value;
  return rest;
};
const shared = (...names) => names.map((name) => [[name], name]);
const SESSION_FIELDS = [
  ...shared('model', 'instructions', 'tools', 'tool_choice', 'tracing'),
  [['output_modalities'], 'modalities'],
  [['max_output_tokens'], 'max_response_output_tokens'],
  [['audio', 'input', 'format'], 'input_audio_format', format],
  [['audio', 'input', 'transcription'], 'input_audio_transcription'],
  [['audio', 'input', 'noise_reduction'], 'input_audio_noise_reduction'],
  [['audio', 'input', 'turn_detection'], 'turn_detection', noIdleTimeout],
  [['audio', 'output', 'format'], 'output_audio_format', format],
  [['audio', 'output', 'voice'], 'voice'],
  [['audio', 'output', 'speed'], 'speed'],
];
const RESPONSE_FIELDS = [
  ...shared('conversation', 'instructions', 'metadata', 'tools', 'tool_choice'),
  [['input'], 'input', (items) => items.map(itemToBeta)],
  [['output_modalities'], 'modalities'],
  [['max_output_tokens'], 'max_response_output_tokens'],
  [['audio', 'output', 'format'], 'output_audio_format', format],
  [['audio', 'output', 'voice'], 'voice'],
];
const CONTENT = { output_text: 'text', output_audio: 'audio' };

function flatten(nested, fields) {
  const flat = {};
  for (const [path, key, convert = (v) => v] of fields) {
    const value = path.reduce((at, name) => (at && typeof at === 'object' ? at[name] : undefined), nested);
    if (value !== undefined) flat[key] = convert(value);
  }
  return flat;
}

function itemToBeta(item) {
  if (!item || !Array.isArray(item.content)) return item;
  const content = item.content.map((part) => ({ ...part, type: CONTENT[part.type] ?? part.type }));
  return { ...item, content };
}

/** A GA client event as the beta dialect says it. */
function toBeta(event) {
  const beta = { ...event };
  if (event.type === 'session.update') beta.session = flatten(event.session ?? {}, SESSION_FIELDS);
  if (event.type === 'response.create' && event.response) {
    beta.response = flatten(event.response, RESPONSE_FIELDS);
  }
  if (event.item) beta.item = itemToBeta(event.item);
  return beta;
}

// -- the client: the SDK plus the application's rules ------------------------------------------
class ShimClient {
  constructor() {
    this.rt = null;
    this.dialect = 'ga';
    this.outputs = {}; // function name -> output string (set_tool_outputs)
    this.active = null; // {eventId, id}: the response in progress, ours or the server's
    this.queued = []; // response.create events waiting for the active response to end
    this.answered = new Set(); // call_ids already given a function_call_output
    this.outOfBand = new Set(); // ids of responses outside the default conversation
    this.nextId = 0;
    this.media = null; // {url, format}: the case's phone call, when it has one
    this.phoneSession = false; // the session's audio is G.711 mu-law both ways
    this.call = null; // the CallBridge, once stream_call has dialled
    this.stopped = new Set(); // items whose playout barge-in stopped: their late deltas are dropped
    this.receivedMs = new Map(); // item id -> ms of its audio received (G.711: 8 bytes a ms)
    this.turnDetection = null; // the session's, as the server last said it
  }

  async start(params) {
    const { realtime_url: realtimeUrl, api_key: apiKey, dialect = 'ga', model } = params;
    const target = new URL(realtimeUrl);
    this.dialect = dialect;
    this.media = params.media_url ? { url: params.media_url, format: params.media_format ?? 'twilio' } : null;
    // The SDK builds wss://{baseURL}/realtime?model=...: give it the mock's origin and path, then
    // put the mock's exact path and query (its run token) on the request, over plain TCP for ws://.
    const scheme = target.protocol === 'wss:' ? 'https' : 'http';
    const path = target.pathname.replace(/\/realtime\/?$/, '');
    const client = new OpenAI({ apiKey, baseURL: `${scheme}://${target.host}${path}` });
    const options = {
      finishRequest: (request) => {
        request.path = target.pathname + target.search;
        request.end();
      },
      ...(target.protocol === 'ws:' ? { createConnection: (o) => net.connect(o.port, o.host) } : {}),
    };
    const Realtime = dialect === 'beta' ? BetaRealtimeWS : GARealtimeWS; // beta adds OpenAI-Beta
    this.rt = new Realtime({ model: model ?? target.searchParams.get('model'), options }, client);
    this.rt.on('event', (event) => {
      try {
        this.onServerEvent(event);
      } catch (error) {
        process.stderr.write(`shim: on ${event.type}: ${error.message}\n`);
      }
    });
    this.rt.on('error', (error) => process.stderr.write(`openai: ${error.message}\n`));
    await new Promise((resolve, reject) => {
      this.rt.socket.once('open', resolve);
      this.rt.socket.once('error', reject);
      this.rt.socket.once('close', (code) => reject(new Error(`closed during handshake (${code})`)));
    });
  }

  /** Send one GA-shaped client event in the session's dialect (under the response rule). */
  send(event) {
    const socket = this.rt?.socket;
    if (!socket || socket.readyState !== socket.OPEN) throw new Error('the Realtime WebSocket is not open');
    event = { event_id: `evt_node_${++this.nextId}`, ...event };
    if (event.type === 'response.create' && event.response?.conversation !== 'none') {
      if (this.active) return void this.queued.push(event); // sent at response.done
      this.active = { eventId: event.event_id, id: null };
    }
    if (event.item?.type === 'function_call_output') this.noteAnswer(event.item.call_id);
    this.rt.send(this.dialect === 'beta' ? toBeta(event) : event);
  }

  noteAnswer(callId) {
    if (this.answered.has(callId)) throw new Error(`function call ${callId} has already been answered`);
    this.answered.add(callId);
  }

  onServerEvent(event) {
    const response = event.response ?? {};
    if (event.type === 'response.created' && response.conversation_id === null) {
      this.outOfBand.add(response.id); // beside the conversation: not the one at a time
    } else if (event.type === 'response.created') {
      if (this.active && this.active.id === null) this.active.id = response.id;
      else this.active = { eventId: null, id: response.id }; // the server started one (VAD)
    } else if (event.type === 'response.done') {
      if (this.outOfBand.delete(response.id)) return;
      this.active = null;
      this.answerCalls(response);
      this.releaseQueued();
    } else if (AUDIO_DELTAS.has(event.type) && !this.stopped.has(event.item_id)) {
      const audio = Buffer.from(event.delta, 'base64');
      this.receivedMs.set(event.item_id, (this.receivedMs.get(event.item_id) ?? 0) + audio.length / 8);
      this.call?.play(event.item_id, audio);
    } else if (AUDIO_DONE.has(event.type)) {
      this.call?.done(event.item_id);
    } else if (event.type === 'input_audio_buffer.speech_started') {
      this.bargeIn();
    } else if (event.type === 'session.created' || event.type === 'session.updated') {
      const session = event.session ?? {};
      this.turnDetection = session.audio?.input?.turn_detection ?? session.turn_detection; // GA, beta
    } else if (event.type === 'error') {
      const { event_id: offending, code } = event.error ?? {};
      const refused = offending === this.active?.eventId || (offending == null && REFUSALS.has(code));
      if (this.active && this.active.id === null && refused) {
        this.active = null; // that response.create was refused: no response is coming
        this.releaseQueued();
      }
    }
  }

  /** The caller talks over the model: stop playout, truncate each item at what the caller
   *  heard of it (never past what was received), and cancel the response if the server won't. */
  bargeIn() {
    if (this.call?.playing) {
      for (const { itemId, heardMs } of this.call.clear()) {
        this.stopped.add(itemId); // its late deltas must not start playout again
        const endMs = Math.min(heardMs, Math.floor(this.receivedMs.get(itemId) ?? 0));
        const truncate = { type: 'conversation.item.truncate', item_id: itemId, content_index: 0 };
        this.send({ ...truncate, audio_end_ms: endMs });
      }
    }
    if (this.active && this.turnDetection?.interrupt_response === false) this.cancel();
  }

  /** Each completed call once, with its call_id, then exactly one response.create. */
  answerCalls(response) {
    if (response.status !== 'completed') return; // a cancelled call must not be answered
    const fresh = (item) => item.type === 'function_call' && !this.answered.has(item.call_id);
    const calls = (response.output ?? []).filter((item) => fresh(item) && item.name in this.outputs);
    for (const call of calls) {
      const item = { type: 'function_call_output', call_id: call.call_id, output: this.outputs[call.name] };
      this.send({ type: 'conversation.item.create', item });
    }
    if (calls.length > 0) this.send({ type: 'response.create' });
  }

  releaseQueued() {
    if (!this.active && this.queued.length > 0) {
      const next = this.queued.shift();
      this.active = { eventId: next.event_id, id: null };
      this.rt.send(this.dialect === 'beta' ? toBeta(next) : next);
    }
  }

  // -- the driver's steps (conformance/drivers/base.py) --------------------------------------
  configure({ session }) {
    session = { type: 'realtime', ...(session ?? {}) };
    const { input = {}, output = {} } = session.audio ?? {};
    if (this.media && !input.format && !output.format) { // a phone call: G.711 both ways
      const { input: inFormat, output: outFormat } = PHONE_FORMATS;
      session.audio = { input: { ...input, ...inFormat }, output: { ...output, ...outFormat } };
    }
    const formats = [session.audio?.input?.format, session.audio?.output?.format];
    if (formats.some(Boolean)) this.phoneSession = formats.every((f) => f?.type === 'audio/pcmu');
    this.send({ type: 'session.update', session });
  }

  /** Dial the call and bridge it (Twilio Media Streams, G.711 mu-law end to end). */
  async streamCall() {
    if (!this.media) throw new Error('this case gives no media URL to dial');
    const { format } = this.media;
    if (format !== 'twilio') throw new Error(`only Twilio Media Streams, not ${format}`);
    if (!this.phoneSession) this.configure({ session: {} }); // switch the session to G.711 first
    this.call = new CallBridge(this.media.url, (audio) => {
      try {
        this.send({ type: 'input_audio_buffer.append', audio });
      } catch (error) {
        process.stderr.write(`shim: caller audio: ${error.message}\n`);
      }
    });
    await this.call.open();
  }

  sendText({ text }) {
    const item = { type: 'message', role: 'user', content: [{ type: 'input_text', text }] };
    this.send({ type: 'conversation.item.create', item });
    this.send({ type: 'response.create' });
  }

  setToolOutputs({ outputs }) {
    Object.assign(this.outputs, outputs ?? {});
  }

  /** response.cancel even when nothing seems active: a cancel may race a response's end. */
  cancel() {
    const id = this.active?.id;
    this.send(id ? { type: 'response.cancel', response_id: id } : { type: 'response.cancel' });
  }

  callMethod({ name, args }) {
    if (!(name in METHODS)) throw new Error(`no event method ${JSON.stringify(name)}`);
    this.send({ ...(args ?? {}), type: METHODS[name] });
  }

  close() {
    this.closing ??= this.shutdown(); // once, whether by `close` or at the end of input
    return this.closing;
  }

  async shutdown() {
    this.call?.close();
    const socket = this.rt?.socket;
    if (!socket || socket.readyState === socket.CLOSED) return;
    const closed = new Promise((resolve) => socket.once('close', resolve));
    this.rt.close();
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1000))]);
  }
}

// -- the command loop --------------------------------------------------------------------------
const write = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

async function perform(client, method, params) {
  switch (method) {
    case 'start': return client.start(params);
    case 'configure': return client.configure(params);
    case 'send_text': return client.sendText(params);
    case 'set_tool_outputs': return client.setToolOutputs(params);
    case 'call_method': return client.callMethod(params);
    case 'stream_call': return client.streamCall();
    case 'cancel': return client.cancel();
    case 'close': return client.close();
    default: throw new Error(`unknown method ${JSON.stringify(method)}`);
  }
}

async function main() {
  const client = new ShimClient();
  write({ driver: 'openai-node', capabilities: CAPABILITIES });
  for await (const line of readline.createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    let command;
    try {
      command = JSON.parse(line);
      if (typeof command?.method !== 'string') throw new Error('expected {"id", "method", "params"}');
    } catch (error) {
      write({ id: command?.id ?? null, ok: false, error: `bad command line: ${error.message}` });
      continue;
    }
    try {
      await perform(client, command.method, command.params ?? {});
      write({ id: command.id, ok: true });
    } catch (error) {
      write({ id: command.id, ok: false, error: `${error.name}: ${error.message}` });
    }
    if (command.method === 'close') break;
  }
  await client.close(); // after `close`, or at the end of input
  process.stdout.write('', () => process.exit(0)); // once the replies are flushed
}

main();
