"""A loaded scenario, as typed values: what the server expects and what it sends back.

The YAML format is described by schemas/scenario.schema.json and explained in
rtproto/scenario/__init__.py; the loader turns a file into these values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from realtime_conformance.rtproto.audio.formats import PCM16, AudioFormat
from realtime_conformance.rtproto.audio.synth import DEFAULT_LEVEL_DBFS, Span
from realtime_conformance.rtproto.catalogue import Api
from realtime_conformance.rtproto.scenario.matchers import FieldMatcher, Resolve, describe_all
from realtime_conformance.rtproto.scenario.recording import Recording


@dataclass(frozen=True)
class TemplateStep:
    """A named template (`text_response`, `session.created`, ...) and its parameters."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EventStep:
    """A literal server event of the scenario's API (GA-shaped for Realtime); `${...}` strings
    inside are resolved when it is sent."""

    event: dict[str, Any]


@dataclass(frozen=True)
class RawStep:
    """A text frame sent exactly as written."""

    text: str


@dataclass(frozen=True)
class WaitStep:
    """An extra gap before the next event of the reply."""

    ms: int


@dataclass(frozen=True)
class ReplayStep:
    """The server events of a recorded transcript, sent as recorded (read when loading)."""

    file: str  # the transcript's path as resolved by the loader
    recording: Recording = field(repr=False, compare=False)
    timing: str = "recorded"  # "recorded": the transcript's t_ms gaps; "paced": pace_ms


@dataclass(frozen=True)
class SimulateStep:
    """Responses and Chat: the simulated model's stream for the request, `text` its answer."""

    text: str | None = None  # None: the model's own answer; `${...}` resolved when sent
    timing: str = "planned"  # "planned": the model's own pacing; "paced": pace_ms


Step = TemplateStep | EventStep | RawStep | WaitStep | ReplayStep | SimulateStep


@dataclass(frozen=True)
class Rule:
    """One expectation: a client event matching `when` is answered with `reply`."""

    index: int
    when: tuple[FieldMatcher, ...]
    reply: tuple[Step, ...] = ()
    limit: int | None = None  # None: always; 1: once; N: the first N matching events
    delay_ms: int | None = None  # None: the scenario's default
    pace_ms: int | None = None

    @property
    def label(self) -> str:
        return f"expect[{self.index}]"

    @property
    def times(self) -> str:
        if self.limit is None:
            return "always"
        return "once" if self.limit == 1 else f"{self.limit} times"

    def describe(self, note: str = "", resolve: Resolve | None = None) -> str:
        """`expect[2] (once, used up): type = "response.create"`; `resolve` fills in the
        values of `${last...}` expressions as they stand."""
        standing = f"{self.times}, {note}" if note else self.times
        matchers = describe_all(self.when, resolve) if resolve else describe_all(self.when)
        return f"{self.label} ({standing}): {matchers}"


@dataclass(frozen=True)
class Drop:
    code: int = 1011
    reason: str = ""


@dataclass(frozen=True)
class AbortConnection:
    pass


@dataclass(frozen=True)
class Duplicate:
    which: str  # "last": resend the last sent event; "next": send the next event twice


@dataclass(frozen=True)
class Malform:
    pass


@dataclass(frozen=True)
class Reorder:
    count: int


@dataclass(frozen=True)
class Stall:
    ms: int


@dataclass(frozen=True)
class ErrorFault:
    kind: str  # "server_error" | "rate_limit"


@dataclass(frozen=True)
class ExpireSession:
    pass


FaultAction = (
    Drop | AbortConnection | Duplicate | Malform | Reorder | Stall | ErrorFault | ExpireSession
)


@dataclass(frozen=True)
class Fault:
    """A fault that fires at a time after the start, or after the nth event of a type."""

    index: int
    action: FaultAction
    at_ms: int | None = None
    after: str | None = None  # a client event type (received) or server event type (sent)
    nth: int = 1


# --- the caller and the VAD (rtproto.scenario.caller, .listener, .verdicts) ----------------


@dataclass(frozen=True)
class BurstScript:
    """`caller.script`: speech-like bursts and silences, after `lead_in_ms` of silence."""

    parts: tuple[tuple[str, int], ...]  # ("speech", ms) | ("silence", ms), as written
    lead_in_ms: int = 0
    level_dbfs: float = DEFAULT_LEVEL_DBFS
    seed: int = 0

    def turns(self) -> tuple[tuple[int, int], ...]:
        """(speech ms, silence after it) per burst, as rtproto.audio.synth.caller_script takes
        them; silences before the first burst belong to the lead-in."""
        turns: list[list[int]] = []
        for kind, ms in self.parts:
            if kind == "speech":
                turns.append([ms, 0])
            elif turns:
                turns[-1][1] += ms
        return tuple((speech, gap) for speech, gap in turns)

    @property
    def lead_ms(self) -> int:
        """Silence before the first burst: the lead-in and any silences written before it."""
        leading = 0
        for kind, ms in self.parts:
            if kind == "speech":
                break
            leading += ms
        return self.lead_in_ms + leading

    def spans(self) -> tuple[Span, ...]:
        """Where each burst lies on the caller's timeline (ms from its first sample)."""
        spans, at = [], self.lead_ms
        for speech, gap in self.turns():
            spans.append(Span(at, at + speech))
            at += speech + gap
        return tuple(spans)

    @property
    def duration_ms(self) -> int:
        return self.lead_in_ms + sum(ms for _, ms in self.parts)


@dataclass(frozen=True)
class WavFile:
    """`caller.wav`: a mono PCM16 WAV file, read when loading (any sample rate)."""

    file: str  # the path as resolved by the loader
    rate: int
    pcm: bytes = field(repr=False)  # little-endian int16 samples at `rate`


@dataclass(frozen=True)
class Caller:
    """What the caller says, in the format and chunks a client appends it."""

    source: BurstScript | WavFile
    fmt: AudioFormat = PCM16
    chunk_ms: int = 20


@dataclass(frozen=True)
class VadSettings:
    """The server_vad the player runs on the client's audio (defaults: real session.created)."""

    threshold: float = 0.5
    prefix_padding_ms: int = 300
    silence_duration_ms: int = 200

    def turn_detection(self) -> dict[str, Any]:
        """As a GA session announces it."""
        return {
            "type": "server_vad", "threshold": self.threshold,
            "prefix_padding_ms": self.prefix_padding_ms,
            "silence_duration_ms": self.silence_duration_ms, "idle_timeout_ms": None,
            "create_response": True, "interrupt_response": True,
        }  # fmt: skip


@dataclass(frozen=True)
class ExpectedTurn:
    """A VAD turn as the caller's audio should produce it: speech_started.audio_start_ms and
    speech_stopped.audio_end_ms (None: the caller's audio ends before the turn does)."""

    audio_start_ms: int
    audio_end_ms: int | None
    speech: Span | None = None  # the caller's speech it comes from, when known


AUTO = "auto"


@dataclass(frozen=True)
class VadExpectation:
    """`expect_vad`: the turns to compare the detected ones with, and how closely."""

    turns: str | tuple[ExpectedTurn, ...]  # AUTO: from `caller` (rtproto.scenario.caller)
    tolerance_ms: int = 10


# --- the conformance case (conformance.cases derives what is left out) ------------------------


@dataclass(frozen=True)
class CaseStep:
    """One stimulus step: a driver call (`configure`, `send_text`, ...) or `wait`, as written."""

    action: str
    args: Any = None  # the session, the text, the tool outputs, the wait; None when bare


@dataclass(frozen=True)
class CaseBlock:
    """`case:` as written; None where the file leaves a key out (derived from the scenario)."""

    needs: tuple[str, ...] | None = None
    simulated: dict[str, Any] | None = None  # `server: {simulated: {...}}`; None: the scenario
    steps: tuple[CaseStep, ...] | None = None
    until: dict[str, Any] | None = None
    timing: str | None = None
    timeout_s: float | None = None
    checks: tuple[str, ...] | None = None
    tolerances: dict[str, float] = field(default_factory=dict)
    expect: dict[str, Any] = field(default_factory=dict)
    media: str | None = None
    informational: bool = False


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    requirement: str
    dialects: tuple[str, ...]  # () for the HTTP APIs, which have one dialect
    rules: tuple[Rule, ...] = ()
    on_start: tuple[Step, ...] = ()
    faults: tuple[Fault, ...] = ()
    ignore: tuple[str, ...] = ()
    unexpected: str = "error"  # "error" | "ignore": what the mock answers an unmatched event
    strict: bool = False
    ordered: bool = False
    pace_ms: int = 0
    delay_ms: int = 0
    source: str = ""  # the file it was loaded from
    api: Api = "realtime"  # responses and chat scenarios are played per HTTP request
    caller: Caller | None = None
    vad: VadSettings | None = None  # None: appends are matched by the rules like any event
    expect_vad: VadExpectation | None = None
    case: CaseBlock | None = None  # None: every part of the case is derived

    @property
    def label(self) -> str:
        return f"{self.id} {self.title}"
