"""The virtual call: the harness's side of a phone call, for one case.

    async with VirtualCall(format="twilio", caller=audio, clock_origin=t0) as call:
        ...                       # the client dials call.url (ws://127.0.0.1:PORT/media-stream)
        await call.connected()    # the stream has started
        await call.caller_done()  # the caller's script has been spoken
        await call.hang_up()
    call.records()                # the call wire, both ways (wire "call", t_ms since t0)
    call.playout()                # when the caller heard what the client sent

Either role, as in real life: the call accepts the client's connection at `url`, or, as Twilio
does, dials the client's media URL: `await call.dial(url)`. One media stream per call.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Literal, Protocol

from aiohttp import ClientSession, web

from realtime_conformance.conformance.call.playout import Playout, playout_of_records
from realtime_conformance.conformance.call.recorder import CallRecorder
from realtime_conformance.conformance.call.session import CallPlan, CallSession
from realtime_conformance.conformance.call.wire import CallWire, Pcm16Wire, TwilioWire
from realtime_conformance.rtproto.audio.codecs import convert
from realtime_conformance.rtproto.audio.formats import AudioFormat
from realtime_conformance.rtproto.telephony import silence

CallFormat = Literal["twilio", "pcm16"]


class CallerAudio(Protocol):
    """Audio in a stated format (rtproto.scenario.caller.CallerAudio is one)."""

    @property
    def audio(self) -> bytes: ...

    @property
    def fmt(self) -> AudioFormat: ...


PATH = "/media-stream"
_calls = itertools.count(1)


class VirtualCall:
    def __init__(
        self,
        *,
        format: CallFormat = "twilio",
        caller: CallerAudio | bytes | None = None,
        clock_origin: float | None = None,
        custom_parameters: Mapping[str, str] | None = None,
        trailing_silence: bool = True,
        host: str = "127.0.0.1",
    ) -> None:
        """`caller`: what the caller says (CallerAudio in any format, or bytes already in the
        call's format: mu-law 8 kHz for twilio, PCM16 24 kHz for pcm16); silence when None.
        `trailing_silence`: keep the line live with silence after the script, as calls do."""
        number = next(_calls)
        self.format = format
        self.wire: CallWire = (
            TwilioWire(f"MZ{number:032x}", f"CA{number:032x}", "AC" + "0" * 32)
            if format == "twilio" else Pcm16Wire()
        )  # fmt: skip
        self.caller = _in_format(caller, self.wire)
        self.recorder = CallRecorder(time.monotonic() if clock_origin is None else clock_origin)
        self.custom_parameters = dict(custom_parameters or {})
        self.trailing_silence = trailing_silence
        self.host = host
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._session: CallSession | None = None
        self._started = asyncio.Event()
        self._finished = asyncio.Event()
        self._dialled: asyncio.Task[None] | None = None  # the call, when it dialled the client

    async def __aenter__(self) -> VirtualCall:
        app = web.Application()
        app.router.add_get(PATH, self._accept)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"ws://{self.host}:{port}{PATH}"
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.hang_up()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- the two roles ---------------------------------------------------------------------

    async def _accept(self, request: web.Request) -> web.StreamResponse:
        if self._session is not None:
            raise web.HTTPConflict(text="this call already has its media stream")
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.recorder.meta({"kind": "call", "role": "accepted", "format": self.format,
                            "path": request.path_qs})  # fmt: skip
        await self._run(CallSession(socket, self.wire, self.recorder, self._plan()))
        return socket

    async def dial(self, url: str) -> None:
        """Connect to the client's media URL, as Twilio does, and run the call in the
        background; returns once connected."""
        http = ClientSession()
        try:
            socket = await http.ws_connect(url)
        except BaseException:
            await http.close()
            raise
        self.recorder.meta({"kind": "call", "role": "dialled", "format": self.format, "url": url})
        session = CallSession(socket, self.wire, self.recorder, self._plan())

        async def run_then_close() -> None:
            try:
                await self._run(session)
            finally:
                await http.close()

        self._dialled = asyncio.create_task(run_then_close())
        await self.connected()

    def _plan(self) -> CallPlan:
        return CallPlan(self.caller, self.custom_parameters, self.trailing_silence)

    async def _run(self, session: CallSession) -> None:
        self._session = session
        self._started.set()
        try:
            await session.run()
        finally:
            self._finished.set()

    # --- what the suite asks -----------------------------------------------------------------

    async def connected(self, timeout: float | None = None) -> None:
        """Wait until the client's media stream is up."""
        await asyncio.wait_for(self._started.wait(), timeout)

    async def caller_done(self, timeout: float | None = None) -> None:
        """Wait until the caller's script has been spoken (or the call ended)."""
        await self.connected(timeout)
        assert self._session is not None
        await asyncio.wait_for(self._session.caller_done.wait(), timeout)

    async def closed(self, timeout: float | None = None) -> None:
        """Wait until the media stream has ended (either side hung up)."""
        await asyncio.wait_for(self._finished.wait(), timeout)

    async def hang_up(self) -> None:
        """Send `stop` and close the stream; nothing when there is none or it is closed."""
        if self._session is not None:
            await self._session.hang_up()
            with contextlib.suppress(TimeoutError):
                await self.closed(timeout=2.0)
        if self._dialled is not None:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._dialled, 2.0)

    def records(self) -> list[dict[str, Any]]:
        """The call wire so far, in order: lines of the case recording (wire "call")."""
        return list(self.recorder.lines)

    def playout(self) -> Playout:
        """The carrier's playout of what the client sent (from the records: as checks see it)."""
        return playout_of_records(self.recorder.lines)

    def heard_audio(self) -> bytes:
        """What the caller heard, in the call's format, from the first heard frame on: each
        frame as far as it played, silence wherever nothing played."""
        fmt, received = (
            self.wire.audio_format,
            self._session.received_audio if self._session else [],
        )
        heard, until_ms = bytearray(), None
        for frame in self.playout().heard():
            if until_ms is not None and frame.start_ms > until_ms:
                heard += silence(fmt, fmt.bytes_for_ms(frame.start_ms - until_ms))
            heard += received[frame.index][: fmt.bytes_for_ms(frame.heard_ms)]
            until_ms = frame.end_ms
        return bytes(heard)


def _in_format(caller: CallerAudio | bytes | None, wire: CallWire) -> bytes:
    if caller is None:
        return b""
    if isinstance(caller, bytes):
        wire.audio_format.check_byte_count(len(caller))
        return caller
    return convert(caller.audio, caller.fmt, wire.audio_format)
