"""A Twilio Media Streams <-> OpenAI Realtime bridge, written as a vendor would (aiohttp alone).

Twilio dials /media-stream (a bidirectional <Connect><Stream>); per call the bridge opens a GA
Realtime session (G.711 mu-law both ways, server VAD), forwards the caller's audio and plays the
model's back in real time. `--port`/PORT (0: any free port; the bound URL goes to stdout);
OPENAI_API_KEY; OPENAI_REALTIME_URL, else derived from OPENAI_BASE_URL and OPENAI_REALTIME_MODEL.

    OPENAI_API_KEY=... python examples/twilio_bridge/bridge.py --port 8080 [--broken]

Barge-in, the part bridges get wrong: when the caller talks over the model (speech_started), the
bridge sends `clear` so Twilio drops what it has queued, and truncates the model's item at the
audio the caller actually HEARD, known from marks: one after every 100 ms sent, each echoed by
Twilio once the audio before it has played. Audio received or sent is not audio heard.
`--broken` is the classic mistake, for the conformance suite to catch: it truncates at the
audio received and never sends `clear`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import itertools
import json
import logging
import os
import signal
import sys
from collections import deque
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import aiohttp
from aiohttp import web

log = logging.getLogger("twilio_bridge")

BYTES_PER_MS = 8  # G.711 mu-law, 8 kHz, one byte a sample
FRAME_BYTES = 20 * BYTES_PER_MS  # Twilio's 20 ms frame
LEAD_S = 0.1  # audio kept queued at Twilio ahead of real time: enough for its jitter buffer
MARK_EVERY_MS = 100  # what the caller heard is known to within this (plus the echo's trip)
INSTRUCTIONS = "You are a friendly phone assistant. Keep answers short."


def realtime_url() -> str:
    """OPENAI_REALTIME_URL, else the Realtime endpoint below OPENAI_BASE_URL."""
    if url := os.environ.get("OPENAI_REALTIME_URL"):
        return url
    base = urlsplit(os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1")
    scheme = {"https": "wss", "http": "ws"}.get(base.scheme, base.scheme)
    model = os.environ.get("OPENAI_REALTIME_MODEL") or "gpt-realtime"
    path = base.path.rstrip("/") + "/realtime"
    return urlunsplit((scheme, base.netloc, path, urlencode({"model": model}), ""))


def session_config() -> dict[str, Any]:
    """The GA session.update: phone audio both ways, server VAD answering each turn."""
    return {
        "type": "session.update",
        "session": {
            "type": "realtime",
            "instructions": INSTRUCTIONS,
            "output_modalities": ["audio"],
            "audio": {
                "input": {
                    "format": {"type": "audio/pcmu"},
                    # Callers pause mid-sentence; real sessions start at 200 ms of silence.
                    "turn_detection": {"type": "server_vad", "silence_duration_ms": 500},
                },
                "output": {"format": {"type": "audio/pcmu"}, "voice": "alloy"},
            },
        },
    }


@dataclass
class ItemAudio:
    """One assistant item's audio, as far as the bridge knows: received, sent, heard."""

    item_id: str
    received_ms: float = 0.0  # from the model
    sent_ms: float = 0.0  # to Twilio
    heard_ms: float = 0.0  # confirmed played by Twilio's mark echoes


class CallBridge:
    """One phone call: a Twilio media stream and the Realtime session that answers it."""

    def __init__(self, twilio: web.WebSocketResponse, http: aiohttp.ClientSession) -> None:
        self.twilio, self.http = twilio, http
        self.openai: aiohttp.ClientWebSocketResponse | None = None
        self.stream_sid = ""
        self.session_ready = False  # session.created seen: audio may be appended
        self.early_audio = bytearray()  # the caller's audio from before then
        self.items: dict[str, ItemAudio] = {}  # assistant items, in the order they played
        self.cut: set[str] = set()  # items truncated: later audio for them is dropped
        self.outgoing: deque[tuple[str, bytes]] = deque()  # (item_id, audio) not yet sent
        self.audio_arrived = asyncio.Event()
        self.marks: dict[str, tuple[str, float]] = {}  # mark name -> (item_id, sent_ms then)
        self.mark_names = (f"m{n}" for n in itertools.count(1))
        self.playing_until = 0.0  # loop time at which Twilio will have played what was sent
        self.tasks: list[asyncio.Task[None]] = []

    # --- Twilio side -------------------------------------------------------------------------

    async def run(self) -> None:
        try:
            async for message in self.twilio:
                if message.type != aiohttp.WSMsgType.TEXT:
                    continue
                event = json.loads(message.data)
                if not await self.on_twilio(event):
                    break
        finally:
            for task in self.tasks:
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
            if self.openai is not None:
                await self.openai.close()
            await self.twilio.close()

    async def on_twilio(self, event: dict[str, Any]) -> bool:
        """Handle one Media Streams message; False when the call is over."""
        kind = event.get("event")
        if kind == "start":
            self.stream_sid = event["start"]["streamSid"]
            log.info("call %s started", event["start"].get("callSid"))
            self.spawn(self.connect_openai())  # the caller's audio is kept meanwhile
        elif kind == "media" and self.session_ready:
            payload = event["media"]["payload"]  # already mu-law, the session's input format
            await self.send_openai({"type": "input_audio_buffer.append", "audio": payload})
        elif kind == "media":
            self.early_audio += base64.b64decode(event["media"]["payload"])
        elif kind == "mark":
            self.on_mark_echo(event["mark"]["name"])
        elif kind == "stop":
            log.info("call ended by Twilio")
            return False
        return True

    def on_mark_echo(self, name: str) -> None:
        """Twilio played everything sent before this mark."""
        item_id, sent_ms = self.marks.pop(name, ("", 0.0))
        item = self.items.get(item_id)
        if item is not None and item_id not in self.cut:
            item.heard_ms = max(item.heard_ms, sent_ms)

    async def send_twilio(self, message: dict[str, Any]) -> None:
        if not self.twilio.closed:
            await self.twilio.send_str(json.dumps({**message, "streamSid": self.stream_sid}))

    # --- OpenAI side -------------------------------------------------------------------------

    async def connect_openai(self) -> None:
        key = os.environ.get("OPENAI_API_KEY", "")
        try:
            self.openai = await self.http.ws_connect(
                realtime_url(), headers={"Authorization": f"Bearer {key}"}
            )
        except (aiohttp.ClientError, OSError) as error:
            log.error("cannot reach the Realtime API: %s", error)
            await self.hang_up()
            return
        self.spawn(self.read_openai(self.openai))
        self.spawn(self.pace_playout())

    def spawn(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(job)
        task.add_done_callback(self.hang_up_on_error)
        self.tasks.append(task)

    def hang_up_on_error(self, task: asyncio.Task[None]) -> None:
        """A bug in a call's task ends that call, loudly, not the bridge."""
        if not task.cancelled() and task.exception() is not None:
            log.error("call failed", exc_info=task.exception())
            self.tasks.append(asyncio.create_task(self.hang_up()))

    async def hang_up(self) -> None:
        await self.twilio.close()

    async def send_openai(self, event: dict[str, Any]) -> None:
        if self.openai is not None and not self.openai.closed:
            await self.openai.send_str(json.dumps(event))

    async def read_openai(self, openai: aiohttp.ClientWebSocketResponse) -> None:
        async for message in openai:
            if message.type == aiohttp.WSMsgType.TEXT:
                await self.on_openai(json.loads(message.data))
        log.info("Realtime session closed (%s): hanging up", openai.close_code)
        await self.hang_up()

    async def on_openai(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "session.created":
            await self.send_openai(session_config())
            await self.send_early_audio()
        elif kind == "response.output_audio.delta":
            self.on_model_audio(event["item_id"], base64.b64decode(event["delta"]))
        elif kind == "input_audio_buffer.speech_started":
            await self.barge_in()
        elif kind == "error":
            log.warning("Realtime error: %s", event.get("error"))

    async def send_early_audio(self) -> None:
        """What the caller said while the session opened, in one append: dropping it would
        cut the start of their first words (and shift every turn server VAD finds)."""
        audio, self.early_audio = bytes(self.early_audio), bytearray()
        self.session_ready = True  # before any await: later frames queue behind this one
        if audio:
            payload = base64.b64encode(audio).decode("ascii")
            await self.send_openai({"type": "input_audio_buffer.append", "audio": payload})

    def on_model_audio(self, item_id: str, audio: bytes) -> None:
        if item_id in self.cut:
            return  # the caller interrupted this item: its late audio is not played
        item = self.items.setdefault(item_id, ItemAudio(item_id))
        item.received_ms += len(audio) / BYTES_PER_MS
        self.outgoing.append((item_id, audio))
        self.audio_arrived.set()

    # --- playout -----------------------------------------------------------------------------

    async def pace_playout(self) -> None:
        """Send the model's audio in 20 ms frames at real time, LEAD_S ahead of what plays:
        Twilio plays what it is sent at once, so sending faster only queues audio there that
        a barge-in must then clear."""
        loop = asyncio.get_running_loop()
        while True:
            if not self.outgoing:
                self.audio_arrived.clear()
                await self.audio_arrived.wait()
            now = loop.time()
            self.playing_until = max(self.playing_until, now)
            while self.outgoing and self.playing_until - now <= LEAD_S:
                item_id, frame = self.take_frame()
                await self.send_frame(item_id, frame)
                self.playing_until += len(frame) / BYTES_PER_MS / 1000
            await asyncio.sleep(max(0.0, self.playing_until - LEAD_S - loop.time()))

    def take_frame(self) -> tuple[str, bytes]:
        """Up to one frame of the oldest queued item's audio."""
        item_id, audio = self.outgoing.popleft()
        if len(audio) > FRAME_BYTES:
            self.outgoing.appendleft((item_id, audio[FRAME_BYTES:]))
        return item_id, audio[:FRAME_BYTES]

    async def send_frame(self, item_id: str, frame: bytes) -> None:
        item = self.items[item_id]
        before = item.sent_ms
        item.sent_ms += len(frame) / BYTES_PER_MS
        payload = base64.b64encode(frame).decode("ascii")
        await self.send_twilio({"event": "media", "media": {"payload": payload}})
        item_done = not self.outgoing or self.outgoing[0][0] != item_id
        if item_done or before // MARK_EVERY_MS != item.sent_ms // MARK_EVERY_MS:
            name = next(self.mark_names)
            self.marks[name] = (item_id, item.sent_ms)
            await self.send_twilio({"event": "mark", "mark": {"name": name}})

    # --- barge-in ----------------------------------------------------------------------------

    def unheard_items(self) -> list[ItemAudio]:
        return [i for i in self.items.values() if i.item_id not in self.cut and
                i.heard_ms < i.received_ms]  # fmt: skip

    async def barge_in(self) -> None:
        """The caller talks over the model: stop its audio where the caller is, and tell the
        model how much of each interrupted item the caller heard."""
        interrupted = self.unheard_items()
        if not interrupted:
            return
        await self.stop_playout()
        for item in interrupted:
            self.cut.add(item.item_id)
            await self.truncate(item, self.audio_end_ms(item))

    def audio_end_ms(self, item: ItemAudio) -> int:
        return int(item.heard_ms)  # the last mark Twilio echoed: what it has played

    async def stop_playout(self) -> None:
        self.outgoing.clear()
        self.marks.clear()  # Twilio echoes pending marks on clear: they were not played
        self.playing_until = 0.0
        await self.send_twilio({"event": "clear"})

    async def truncate(self, item: ItemAudio, audio_end_ms: int) -> None:
        log.info("barge-in: %s heard %.0f of %.0f ms received; truncating at %d ms",
                 item.item_id, item.heard_ms, item.received_ms, audio_end_ms)  # fmt: skip
        await self.send_openai({"type": "conversation.item.truncate", "item_id": item.item_id,
                                "content_index": 0, "audio_end_ms": audio_end_ms})  # fmt: skip


class BrokenCallBridge(CallBridge):
    """The classic bug, for the suite to catch: the model is told the caller heard all the
    audio received, and Twilio keeps playing what it has queued (no clear)."""

    def audio_end_ms(self, item: ItemAudio) -> int:
        return int(item.received_ms)

    async def stop_playout(self) -> None:
        self.marks.clear()


HTTP = web.AppKey("http", aiohttp.ClientSession)


def make_app(bridge_class: type[CallBridge]) -> web.Application:
    calls: set[web.WebSocketResponse] = set()  # in progress

    async def media_stream(request: web.Request) -> web.WebSocketResponse:
        twilio = web.WebSocketResponse()
        await twilio.prepare(request)
        calls.add(twilio)
        try:
            await bridge_class(twilio, request.app[HTTP]).run()
        finally:
            calls.discard(twilio)
        return twilio

    async def http_session(app: web.Application) -> AsyncIterator[None]:
        app[HTTP] = aiohttp.ClientSession()
        yield
        await app[HTTP].close()

    async def hang_up_calls(app: web.Application) -> None:
        """On shutdown: end the calls in progress (aiohttp would wait for them)."""
        for twilio in list(calls):
            await twilio.close(code=aiohttp.WSCloseCode.GOING_AWAY, message=b"bridge shutting down")

    app = web.Application()
    app.router.add_get("/media-stream", media_stream)
    app.cleanup_ctx.append(http_session)
    app.on_shutdown.append(hang_up_calls)
    return app


async def serve(host: str, port: int, broken: bool) -> None:
    runner = web.AppRunner(make_app(BrokenCallBridge if broken else CallBridge))
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_host, bound_port = runner.addresses[0][:2]
    print(f"ws://{bound_host}:{bound_port}/media-stream", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    parser.add_argument("--broken", action="store_true", help="truncate at audio received, "
                        "never clear (the bug the conformance suite must catch)")  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s: %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, args.broken))


if __name__ == "__main__":
    main()
