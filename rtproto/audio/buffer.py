"""The input audio buffer of one Realtime session: appends, commits, clears, and turn detection.

Timeline: every position is milliseconds of audio appended since the session began, counted
across commits and clears, as the real `audio_start_ms`/`audio_end_ms` are ("from the start of
all audio written to the buffer during the session"). The buffer holds the audio appended
since the last commit (`pending`); a manual commit takes all of it.

With turn detection, appended audio runs through the VAD as it arrives. At speech stop the
buffer commits by itself; the committed item holds the audio from `audio_start_ms` to
`audio_end_ms`, i.e. the prefix padding before the detected speech and the trailing silence up
to the stop decision (the SDK: the start "will correspond to the beginning of audio sent to
the model, and thus includes the prefix_padding_ms", the end "to the end of audio sent to the
model, and thus includes the min_silence_duration_ms"). Audio before `audio_start_ms` is
dropped; audio after `audio_end_ms` stays for the next turn.

Bounded (issue 13). Under turn detection, silence that no turn can reach is dropped
(`_drop_unreachable_silence`): a speech start's item reaches back `prefix_padding_ms` ("includes
the prefix_padding_ms", SDK), an idle timeout's back to where it was armed ("the segment of audio
after the last model response up to the triggering time ... committed to the conversation",
learn.microsoft.com RealtimeServerEventInputAudioBufferTimeoutTriggered). Without turn
detection nothing is dropped, since the client decides what a turn holds and the real API
documents no buffer limit (only 15 MiB per append, PROTOCOL.md §5): the bound is the session's
60-minute limit (PROTOCOL.md §1 [WIRE]), at most 60 min of audio (173 MB of 24 kHz PCM16), after
which the client gets the `session_expired` error and the close (1001) like any session.

Errors are RealtimeErrors carrying the real API's code and message (shared/PROTOCOL.md §4).
"""

from __future__ import annotations

from dataclasses import dataclass

from realtime_conformance.rtproto.audio.codecs import (
    InvalidBase64,
    b64decode_audio,
    convert,
    decode_int16,
)
from realtime_conformance.rtproto.audio.formats import PCM16, AudioFormat
from realtime_conformance.rtproto.audio.vad import (
    IdleTimedOut,
    IdleTimeout,
    ServerVad,
    SpeechStarted,
    SpeechStopped,
)
from realtime_conformance.rtproto.events import RealtimeError

MAX_APPEND_CHARS = 15 * 1024 * 1024  # "up to a maximum of 15 MiB" per append (the base64 text)
MIN_COMMIT_MS = 100
# Under turn detection, silence older than what a next turn's prefix padding (or an armed idle
# timeout) can reach is dropped once it is this much older: a manual commit or a format change
# after a short pause sees all of it, as before; a silent call keeps at most ~2.3 s (110 KB).
UNREACHABLE_SILENCE_KEPT_MS = 2000


@dataclass(frozen=True)
class CommittedAudio:
    """Audio that became a user item: its bytes (in the buffer's format) and where it lay."""

    audio: bytes
    fmt: AudioFormat
    audio_start_ms: float
    audio_end_ms: float

    @property
    def duration_ms(self) -> float:
        return self.fmt.duration_ms(len(self.audio))


BufferEvent = SpeechStarted | SpeechStopped | IdleTimedOut | CommittedAudio


def invalid_audio_error(fmt: AudioFormat) -> RealtimeError:
    """What the real API answers to audio that is not valid base64 of whole samples.

    Seen on the wire for PCM16 (Azure-Samples/aoai-realtime-audio-sdk#95, and reported for
    WebM bytes sent as pcm16); the G.711 wording is inferred from it (UNVERIFIED).
    """
    return RealtimeError(
        "invalid_value",
        f"Invalid 'audio'. Expected base64-encoded audio bytes ({fmt.description}) but got an "
        "invalid value.",
        "audio",
    )


def commit_empty_error(buffered_ms: float) -> RealtimeError:
    return RealtimeError(
        "input_audio_buffer_commit_empty",
        "Error committing input audio buffer: buffer too small. Expected at least "
        f"{MIN_COMMIT_MS}ms of audio, but buffer only has {buffered_ms:.2f}ms of audio.",
    )


def decode_append(audio: str, fmt: AudioFormat) -> bytes:
    """The bytes of an append event's `audio`, or the RealtimeError the real API would send."""
    if len(audio) > MAX_APPEND_CHARS:
        raise RealtimeError(
            "string_above_max_length",
            "Invalid 'audio': string too long. Expected a string with maximum length "
            f"{MAX_APPEND_CHARS}, but got a string with length {len(audio)} instead.",
            "audio",
        )
    try:
        data = b64decode_audio(audio)
    except InvalidBase64:
        raise invalid_audio_error(fmt) from None
    if len(data) % fmt.bytes_per_sample:
        raise invalid_audio_error(fmt)
    return data


class InputAudioBuffer:
    """Pure model of `input_audio_buffer`: feed it appends, ask it to commit or clear."""

    def __init__(
        self,
        fmt: AudioFormat = PCM16,
        vad: ServerVad | None = None,
        idle_timeout: IdleTimeout | None = None,
    ) -> None:
        self.fmt = fmt
        self.idle_timeout = idle_timeout
        self._origin_ms = 0.0  # timeline position of sample 0 of the current format
        self._written = 0  # samples appended since the origin
        self._pending = bytearray()
        self._pending_start = 0  # sample index (from the origin) of the first pending byte
        self.vad: ServerVad | None = None
        self.set_vad(vad)

    @property
    def position_ms(self) -> float:
        """Audio appended during the session, in ms: the end of the timeline."""
        return self._ms_at(self._written)

    @property
    def pending_start_ms(self) -> float:
        return self._ms_at(self._pending_start)

    @property
    def pending_ms(self) -> float:
        """Audio appended since the last commit (or clear), in ms."""
        return self.fmt.duration_ms(len(self._pending))

    @property
    def pending_audio(self) -> bytes:
        return bytes(self._pending)

    def append(self, audio: str) -> list[BufferEvent]:
        """An `input_audio_buffer.append`'s base64 `audio`; returns the turn events it caused."""
        return self.append_bytes(decode_append(audio, self.fmt))

    def append_bytes(self, data: bytes) -> list[BufferEvent]:
        self.fmt.check_byte_count(len(data))
        self._pending += data
        self._written += self.fmt.samples(len(data))
        events: list[BufferEvent] = []
        if self.vad is not None:
            for event in self.vad.feed_int16(decode_int16(data, self.fmt)):
                events += self._on_vad_event(event)
        if self.vad is None or not self.vad.in_speech:
            events += self._poll_idle(self.position_ms)
        self._drop_unreachable_silence()
        return events

    def _drop_unreachable_silence(self) -> None:
        """Under turn detection, outside speech, drop pending audio no turn can reach.

        A speech start found later lies at or after the VAD's position, and its item begins
        `prefix_padding_ms` before that; an idle timeout commits from where it was armed (the
        `timeout_triggered` segment "after the last model response up to the triggering time").
        Older silence can never be in a VAD turn: keeping it grew a silent call by 48 KB/s
        without bound (issue 13). It goes once `UNREACHABLE_SILENCE_KEPT_MS` older, so a manual
        commit under VAD holds at most that much more silence, and an idle timeout armed at a
        point already dropped commits from the oldest audio kept.
        """
        vad = self.vad
        if vad is None or vad.in_speech:
            return
        keep_from_ms = vad.position_ms - vad.prefix_padding_ms - UNREACHABLE_SILENCE_KEPT_MS
        deadline = self.idle_timeout.deadline_ms if self.idle_timeout else None
        if self.idle_timeout is not None and deadline is not None:
            keep_from_ms = min(keep_from_ms, deadline - self.idle_timeout.idle_timeout_ms)
        drop = self._sample_at(keep_from_ms) - self._pending_start
        if drop > 0:
            del self._pending[: drop * self.fmt.bytes_per_sample]
            self._pending_start += drop

    def commit(self) -> CommittedAudio:
        """A manual `input_audio_buffer.commit` of everything pending (at least 100 ms)."""
        if self.pending_ms < MIN_COMMIT_MS:
            raise commit_empty_error(self.pending_ms)
        committed = self._cut(self.pending_start_ms, self.position_ms)
        if self.vad is not None:  # speech in progress goes on; its rest becomes another item
            self.vad.set_floor(round(self.position_ms))
        return committed

    def clear(self) -> None:
        """`input_audio_buffer.clear`: drop pending audio and any speech in progress."""
        self._pending.clear()
        self._pending_start = self._written
        if self.vad is not None:
            self.vad.restart(round(self.position_ms), self.fmt.sample_rate)

    def set_format(self, fmt: AudioFormat) -> None:
        """A session.update changed the input format: pending audio is converted to it."""
        if fmt == self.fmt:
            return
        converted = convert(bytes(self._pending), self.fmt, fmt)
        self._origin_ms = self.position_ms
        self.fmt = fmt
        self._written = 0
        self._pending = bytearray(converted)
        self._pending_start = -fmt.samples(len(converted))
        self.set_vad(self.vad)

    def set_vad(self, vad: ServerVad | None) -> None:
        """Switch turn detection (None: manual turns); a new VAD starts at the timeline's end."""
        self.vad = vad
        if vad is not None:
            vad.restart(round(self.position_ms), self.fmt.sample_rate, round(self.pending_start_ms))

    def _on_vad_event(self, event: SpeechStarted | SpeechStopped) -> list[BufferEvent]:
        if isinstance(event, SpeechStopped):
            start = max(event.audio_start_ms, round(self.pending_start_ms))
            return [SpeechStopped(start, event.audio_end_ms), self._cut(start, event.audio_end_ms)]
        fired = self._poll_idle(event.detected_at_ms)  # a timeout due before the speech
        if self.idle_timeout is not None:
            self.idle_timeout.disarm()
        # Padding cannot reach into audio already committed (e.g. by that timeout).
        start = max(event.audio_start_ms, round(self.pending_start_ms))
        return [*fired, SpeechStarted(start, event.detected_at_ms)]

    def _poll_idle(self, position_ms: float) -> list[BufferEvent]:
        fired = self.idle_timeout.poll(position_ms) if self.idle_timeout else None
        if fired is None:
            return []
        if self.vad is not None:
            self.vad.set_floor(fired.audio_end_ms)
        return [fired, self._cut(fired.audio_start_ms, fired.audio_end_ms)]

    def _cut(self, start_ms: float, end_ms: float) -> CommittedAudio:
        """Commit pending audio from `start_ms` to `end_ms`; drop what lies before it."""
        start = max(self._sample_at(start_ms), self._pending_start)
        end = max(self._sample_at(end_ms), start)
        width = self.fmt.bytes_per_sample
        first, last = (start - self._pending_start) * width, (end - self._pending_start) * width
        audio = bytes(self._pending[first:last])
        del self._pending[:last]
        self._pending_start = end
        return CommittedAudio(audio, self.fmt, self._ms_at(start), self._ms_at(end))

    def _ms_at(self, sample: int) -> float:
        return self._origin_ms + sample * 1000 / self.fmt.sample_rate

    def _sample_at(self, ms: float) -> int:
        return round((ms - self._origin_ms) * self.fmt.sample_rate / 1000)
