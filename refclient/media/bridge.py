"""The media bridge: model audio played into a call in real time, the caller's audio back.

Rules a correct bridge keeps (each tested in tests/test_media_bridge.py):

- Frames go out on absolute deadlines: frame k of a run at anchor + k * 20 ms - lead, whatever
  the loop's lateness, so a 10-minute call does not drift. The lead (one frame by default)
  keeps one frame queued at the far end, so a frame up to 20 ms late still plays without a gap;
  a clear drops it there, and the ledger counts it as played only once it has played.
- The anchor moves only on a real underrun: the next audio arrived after the far end had
  played everything (a gap the caller heard); it then goes at once. Audio that is merely late
  for its deadline goes at once too, and the grid stays.
- Played ms per item is what the far end has played (`ledger`), not what was sent or received.
- `clear()` stops playout at once: the queue is dropped, a frame waiting for its deadline is
  not sent, the far end is told to drop what it holds, and later audio of a cleared item is
  ignored (the client truncates it).
- MediaStarted when the first frame of a run is sent; MediaEnded 1 s after the last frame's
  playout ended with no audio since, with the run's duration and frame count.
- Caller audio goes to the session as it arrives, one converted chunk per unit frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from realtime_conformance.refclient.media.base import (
    FRAME_MS,
    MarkingUnit,
    MediaEnded,
    MediaStarted,
    MediaUnit,
    PlayedAudio,
)
from realtime_conformance.refclient.media.convert import StreamConverter
from realtime_conformance.refclient.media.ledger import PlayoutLedger
from realtime_conformance.refclient.media.queue import FrameQueue
from realtime_conformance.rtproto.audio.formats import PCM16, AudioFormat

log = logging.getLogger(__name__)
FRAME_S = FRAME_MS / 1000
ENDED_AFTER_S = 1.0  # WebSocketMediaEnded: a second of no audio
MARK_EVERY_FRAMES = 5  # a mark every 100 ms on units that echo marks
TIMING_KEPT = 3600 * 1000 // FRAME_MS


@dataclass
class Run:
    """One stretch of continuous playout, from MediaStarted to MediaEnded."""

    anchor_s: float
    started_s: float
    lead_s: float
    frames: int = 0  # sent since the anchor (the next deadline is anchor + frames * 20 ms)
    total_frames: int = 0
    underruns: int = 0
    last_end_s: float = 0.0

    def deadline(self) -> float:
        return self.anchor_s + max(0.0, self.frames * FRAME_S - self.lead_s)


class PlayoutBridge:
    def __init__(
        self,
        unit: MediaUnit,
        *,
        output_format: AudioFormat = PCM16,
        input_format: AudioFormat = PCM16,
        on_started: Callable[[MediaStarted], None] | None = None,
        on_ended: Callable[[MediaEnded], None] | None = None,
        lead_ms: int = FRAME_MS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`output_format`: the session's output audio (what `enqueue` gets); `input_format`:
        the session's input audio (what caller-audio handlers get); `lead_ms`: how far ahead
        of real time frames go (0: exactly on time, any lateness is a gap at the far end)."""
        self.unit, self.output_format, self.input_format = unit, output_format, input_format
        self.lead_s = lead_ms / 1000
        self.clock = clock
        self._on_started, self._on_ended = on_started, on_ended
        self._out = StreamConverter(output_format, unit.audio_format)
        self._in = StreamConverter(unit.audio_format, input_format)
        self._frame_bytes = unit.audio_format.bytes_for_ms(FRAME_MS)
        self._queue = FrameQueue(unit.audio_format, self._frame_bytes)
        self.ledger = PlayoutLedger(unit.audio_format)
        self._audio_ready = asyncio.Event()
        self._generation = 0  # bumped by clear(): a frame popped before it is not sent
        self._run: Run | None = None
        self._playing: tuple[str, float] | None = None  # (item, until) of the last frame sent
        self._caller_handlers: list[Callable[[bytes], None]] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._marks = isinstance(unit, MarkingUnit)
        self._mark_count = 0
        # (deadline, sent) of recent frames, for tests and benches (an hour of frames at most)
        self.timing: deque[tuple[float, float]] = deque(maxlen=TIMING_KEPT)

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self, *, open_unit: bool = True) -> None:
        """Open the unit (unless it is open already) and start playout and the caller pump."""
        if open_unit:
            await self.unit.open()
        if isinstance(self.unit, MarkingUnit):
            self.unit.on_mark(self.ledger.mark_echoed)
        self._spawn(self._play())
        self._spawn(self._pump_caller())

    async def stop(self) -> None:
        """Stop bridging (the unit stays open; close it separately)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def running(self) -> bool:
        """Playout or the caller pump still runs (both end when the unit's call ends)."""
        return bool(self._tasks)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("media bridge to %s: %r", self.unit.tag, task.exception())

    # --- MediaBridge -------------------------------------------------------------------------

    def enqueue(self, item_id: str, content_index: int, audio: bytes) -> None:
        session_ms = self.output_format.duration_ms(len(audio))
        if not self.ledger.received(item_id, content_index, session_ms):
            return  # a cleared item: its audio must never be heard
        self._queue.push(item_id, self._out.convert(audio))
        self._audio_ready.set()

    def clear(self) -> list[PlayedAudio]:
        stopped = self.ledger.clear(self.clock())
        self._generation += 1
        self._queue.clear()
        self._out.reset()
        self._playing = None
        self._spawn(self.unit.clear())
        return stopped

    def played(self, item_id: str) -> PlayedAudio | None:
        return self.ledger.played(item_id, self.clock())

    @property
    def playing_item(self) -> str | None:
        if self._playing is None or self.clock() >= self._playing[1]:
            return None
        return self._playing[0]

    def on_caller_audio(self, handler: Callable[[bytes], None]) -> None:
        self._caller_handlers.append(handler)

    # --- playout -----------------------------------------------------------------------------

    async def _play(self) -> None:
        """Until the unit goes away (a dead socket ends playout, with a warning)."""
        while True:
            frame = self._queue.pop_frame()
            if frame is None:
                await self._wait_for_audio()
                continue
            audio, parts = frame
            run = self._run or self._start_run()
            generation, deadline = self._generation, run.deadline()
            await asyncio.sleep(max(0.0, deadline - self.clock()))
            if generation != self._generation:
                continue  # cleared while waiting for the deadline
            await self._send(run, deadline, audio, parts)

    def _start_run(self) -> Run:
        now = self.clock()
        self._run = Run(anchor_s=now, started_s=now, lead_s=self.lead_s)
        return self._run

    async def _send(
        self, run: Run, deadline: float, audio: bytes, parts: list[tuple[str, int]]
    ) -> None:
        sent_at = self.clock()
        played = self.ledger.sent(sent_at, parts, len(audio))
        run.last_end_s = played.start_s + FRAME_S
        if parts:
            self._playing = (parts[-1][0], run.last_end_s)
        self.timing.append((deadline, sent_at))
        run.frames += 1
        run.total_frames += 1
        await self.unit.send_frame(audio)
        if run.total_frames == 1:
            unit = self.unit
            started = MediaStarted(
                unit.tag, unit.audio_format.ga_type, dict(unit.custom_parameters)
            )
            self._notify(self._on_started, started)
        if self._marks and (run.total_frames % MARK_EVERY_FRAMES == 0 or not len(self._queue)):
            await self._mark()

    async def _mark(self) -> None:
        assert isinstance(self.unit, MarkingUnit)
        self._mark_count += 1
        name = f"played-{self._mark_count}"
        self.ledger.mark_sent(name)
        await self.unit.send_mark(name)

    async def _wait_for_audio(self) -> None:
        """Wait for audio; end the run after a second of none; re-anchor after an underrun."""
        self._audio_ready.clear()
        run = self._run
        timeout = None if run is None else max(0.0, run.last_end_s + ENDED_AFTER_S - self.clock())
        try:
            await asyncio.wait_for(self._audio_ready.wait(), timeout)
        except TimeoutError:
            assert run is not None
            self._run = None
            ended = MediaEnded(self.unit.tag, round((run.last_end_s - run.started_s) * 1000),
                               run.total_frames, {"underruns": run.underruns})  # fmt: skip
            self._notify(self._on_ended, ended)
            return
        if run is not None and self.clock() >= run.last_end_s:
            run.underruns += 1
            run.anchor_s, run.frames = self.clock(), 0

    def _notify(self, handler: Callable[[Any], None] | None, event: object) -> None:
        if handler is None:
            return
        try:
            handler(event)
        except Exception:
            log.exception("a media event handler raised; the bridge goes on")

    # --- the caller --------------------------------------------------------------------------

    async def _pump_caller(self) -> None:
        async for frame in self.unit.caller_frames():
            chunk = self._in.convert(frame)
            for handler in list(self._caller_handlers):
                try:
                    handler(chunk)
                except Exception:
                    log.exception("a caller-audio handler raised; the bridge goes on")


async def start_bridge(
    unit: MediaUnit,
    *,
    output_format: AudioFormat = PCM16,
    input_format: AudioFormat = PCM16,
    on_started: Callable[[MediaStarted], None] | None = None,
    on_ended: Callable[[MediaEnded], None] | None = None,
    open_unit: bool = True,
    lead_ms: int = FRAME_MS,
) -> PlayoutBridge:
    """The one constructor a client needs: a running bridge between a session and `unit`."""
    bridge = PlayoutBridge(unit, output_format=output_format, input_format=input_format,
                           on_started=on_started, on_ended=on_ended, lead_ms=lead_ms)  # fmt: skip
    await bridge.start(open_unit=open_unit)
    return bridge
