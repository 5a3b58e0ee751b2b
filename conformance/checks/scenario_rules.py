"""A client judged against a scripted scenario, from the transcript alone.

The player (rtproto.server.play) judges nothing: it notes in the transcript what it saw that the
wire does not show (rtproto.scenario.notes), and this check decides, so that the mock's control
API, xdist workers, the conformance suite and a vendor's own copy of a transcript all get the
same answer from the same code:

- **unmet rules**: rules with a finite `times` that took fewer client events than that (the
  player notes each rule that takes an event). Ordering is enforced by the player itself: with
  `ordered: true` an event out of order is taken by no rule, so it is an unexpected event, noted
  with every rule's standing ("next in order", "later in order", "used up");
- **unexpected client events**: those no rule took, with what every rule expected then;
- **VAD turn verdicts** (`expect_vad`): the turns the player's VAD noted against the turns
  expected (rtproto.scenario.caller), judged by conformance.checks.vad_turns; the audio the client
  appended is measured from its `input_audio_buffer.append` events, decoded in the format the
  VAD noted (a format note right after an append applies to that append, as the VAD switched
  before decoding it).

It reads a Realtime connection's transcript, or the exchanges of an HTTP scenario (Responses,
Chat) one after another: the player notes each request's number. A transcript may hold several
plays (a connection each, or an HTTP scenario chosen again): `judge_scenario` judges the last
one (the control API, per connection), `judge_run` all of them together (the suite, whose client
may reconnect within a case).
Lines of a case recording on another wire than the mock's (`"wire": "call"` or `"driver"`) are
skipped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from realtime_conformance.conformance.checks.vad_turns import VadVerdict, judge_turns
from realtime_conformance.rtproto.audio.buffer import decode_append
from realtime_conformance.rtproto.audio.formats import (
    PCM16,
    AudioFormat,
    AudioFormatError,
    parse_format,
)
from realtime_conformance.rtproto.events import RealtimeError
from realtime_conformance.rtproto.scenario import notes
from realtime_conformance.rtproto.scenario.caller import caller_audio
from realtime_conformance.rtproto.scenario.names import HTTP_APIS, request_event
from realtime_conformance.rtproto.scenario.notes import DetectedTurn
from realtime_conformance.rtproto.scenario.spec import ExpectedTurn, Scenario
from realtime_conformance.rtproto.transcript import TranscriptLine, parse_line

Event = dict[str, Any]
APPEND = "input_audio_buffer.append"
MOCK_WIRE = "openai"


class NotPlayed(ValueError):
    """The transcript holds no note that the scenario was played (another scenario, the
    simulated model, or a log without the player's notes)."""


@dataclass(frozen=True)
class UnexpectedEvent:
    """A client event no rule took, with every rule's description at that moment."""

    event_type: object
    expected: tuple[str, ...]
    line: int  # of the player's note
    t_ms: float | None
    event: Event | None  # as on the wire (HTTP: the request as the rules saw it)

    def __str__(self) -> str:
        return notes.describe_unmatched(self.event_type, self.expected)


@dataclass(frozen=True)
class ScenarioJudgement:
    scenario_id: str
    unmet_rules: tuple[str, ...]  # each rule as `expect[2] (once, matched 0): ...`
    unexpected: tuple[UnexpectedEvent, ...]
    vad: tuple[VadVerdict, ...]  # () without expect_vad
    vad_remarks: tuple[str, ...] = ()  # why the VAD may have misheard (shown with failures)

    @property
    def unmet(self) -> list[str]:
        """Every requirement not met: the rules, then the VAD turns, then the remarks."""
        failed = [str(verdict) for verdict in self.vad if not verdict.met]
        return [*self.unmet_rules, *failed, *(self.vad_remarks if failed else ())]

    @property
    def passed(self) -> bool:
        return not self.unmet and not self.unexpected

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, as the mock's control API reports it."""
        return {
            "scenario": self.scenario_id,
            "unmatched": [str(unexpected) for unexpected in self.unexpected],
            "unmet": self.unmet,
            "vad": [verdict.as_dict() for verdict in self.vad],
        }


Lines = Iterable[str | TranscriptLine]  # a transcript's text lines, or lines already parsed


def played_scenarios(lines: Lines) -> list[str]:
    """The ids of the scenarios the transcript's plays noted, in order."""
    found = (_note(line) for line in _mock_lines(lines))
    return [str(meta["id"]) for meta in found if meta and meta.get("kind") == notes.SCENARIO]


def judge_scenario(scenario: Scenario, lines: Lines) -> ScenarioJudgement:
    """The client's judgement under `scenario` from a transcript's lines, on its last play (a
    connection, or an HTTP scenario's requests while it stayed chosen); NotPlayed when the
    transcript does not say it played the scenario."""
    return _plays(scenario, lines)[-1].judgement()


def judge_run(scenario: Scenario, lines: Lines) -> ScenarioJudgement:
    """Every play of `scenario` in the transcript together, as the suite judges a case whose
    client may reconnect: each rule's uses summed over the plays, the unexpected events of all
    of them, the VAD turns of the last."""
    *earlier, last = _plays(scenario, lines)
    return last.judgement(earlier)


def _plays(scenario: Scenario, lines: Lines) -> list[_Reading]:
    plays: list[_Reading] = []
    reading: _Reading | None = None
    for line in _mock_lines(lines):
        meta = _note(line)
        if meta is not None and _starts_a_play(meta, scenario, reading):
            reading = _Reading(scenario)
            plays.append(reading)
        elif meta is not None and meta.get("kind") == notes.SCENARIO and meta["id"] != scenario.id:
            reading = None  # another scenario's play
        if reading is not None:
            reading.read(line, meta)
    if not plays:
        raise NotPlayed(f"the transcript has no note of scenario {scenario.id} being played")
    return plays


def _mock_lines(lines: Lines) -> Iterator[TranscriptLine]:
    for number, line in enumerate(lines, start=1):
        parsed = parse_line(number, line) if isinstance(line, str) else line
        if parsed is not None and parsed.record.get("wire", MOCK_WIRE) == MOCK_WIRE:
            yield parsed


def _note(line: TranscriptLine) -> dict[str, Any] | None:
    meta = line.meta if line.direction == "meta" else None
    return meta if meta is not None and meta.get("kind") in notes.KINDS else None


def _starts_a_play(meta: dict[str, Any], scenario: Scenario, reading: _Reading | None) -> bool:
    """A play starts at its scenario note: a connection's, or its first request's (or the
    earliest request the transcript kept)."""
    ours = meta.get("kind") == notes.SCENARIO and meta.get("id") == scenario.id
    return ours and (meta.get("request") in (None, 1) or reading is None)


class _AudioTimeline:
    """The session's input audio timeline as the player's buffer counts it (ms appended since
    the session began, across format changes), from the appends and the VAD's format notes."""

    def __init__(self) -> None:
        self.fmt: AudioFormat = PCM16
        self.origin_ms = 0.0
        self.samples = 0
        self._pending: Event | None = None  # the latest append: a format note may follow it

    @property
    def position_ms(self) -> float:
        return self.origin_ms + self.samples * 1000 / self.fmt.sample_rate

    def appended(self, event: Event) -> None:
        if event.get("type") == APPEND:
            self._pending = event

    def switch(self, fmt: AudioFormat) -> None:
        if fmt != self.fmt:
            self.origin_ms, self.samples, self.fmt = self.position_ms, 0, fmt

    def settle(self) -> None:
        """Count the pending append, in the format now in force."""
        event, self._pending = self._pending, None
        audio = event.get("audio") if event is not None else None
        if not isinstance(audio, str):
            return
        try:
            self.samples += self.fmt.samples(len(decode_append(audio, self.fmt)))
        except (RealtimeError, AudioFormatError):
            return  # the player answered it with an error and heard nothing


@dataclass
class _Reading:
    """What one play's lines say, read in order."""

    scenario: Scenario
    uses: Counter[int] = field(default_factory=Counter)
    unexpected: list[UnexpectedEvent] = field(default_factory=list)
    client_event: Event | None = None  # the latest, for the notes about it
    audio: _AudioTimeline = field(default_factory=_AudioTimeline)
    turns: list[DetectedTurn] = field(default_factory=list)
    closed: bool = False

    def read(self, line: TranscriptLine, meta: dict[str, Any] | None) -> None:
        if meta is not None:
            self._noted(line, meta)
            return
        self.audio.settle()
        if line.direction == "client" and isinstance(line.event, dict):
            self.client_event = line.event
            if self.scenario.vad is not None and not self.closed:
                self.audio.appended(line.event)
        elif line.direction == "meta" and line.meta is not None:
            self._connection_fact(line.meta)

    def _connection_fact(self, meta: dict[str, Any]) -> None:
        kind = meta.get("kind")
        if kind in ("close", "abort"):
            self.closed = True  # the player hears nothing more
        elif kind == "http_request" and self.scenario.api in HTTP_APIS:
            body = meta.get("body")
            self.client_event = request_event(
                self.scenario.api, body if isinstance(body, dict) else {}
            )

    def _noted(self, line: TranscriptLine, meta: dict[str, Any]) -> None:
        kind = meta["kind"]
        if kind == notes.VAD_FORMAT:
            self.audio.switch(_format(meta.get("format")))
            return
        self.audio.settle()
        if kind == notes.RULE and isinstance(meta.get("rule"), int):
            self.uses[meta["rule"]] += 1
        elif kind == notes.UNMATCHED:
            self.unexpected.append(self._unexpected(line, meta))
        elif kind == notes.SPEECH_STARTED:
            self.turns.append(DetectedTurn(str(meta["item_id"]), int(meta["audio_start_ms"])))
        elif kind == notes.SPEECH_STOPPED and self.turns:
            self.turns[-1] = replace(self.turns[-1], audio_end_ms=meta.get("audio_end_ms"))

    def _unexpected(self, line: TranscriptLine, meta: dict[str, Any]) -> UnexpectedEvent:
        t_ms = line.record.get("t_ms")
        when = float(t_ms) if isinstance(t_ms, int | float) else None
        expected = tuple(str(text) for text in meta.get("expected", ()))
        return UnexpectedEvent(meta.get("type"), expected, line.number, when, self.client_event)

    def judgement(self, earlier: Sequence[_Reading] = ()) -> ScenarioJudgement:
        """This play judged (with the `earlier` plays' rule uses and unexpected events)."""
        self.audio.settle()
        plays = [*earlier, self]
        uses = sum((play.uses for play in plays), Counter[int]())
        unmet = tuple(
            rule.describe(f"matched {uses[rule.index]}")
            for rule in self.scenario.rules
            if rule.limit is not None and uses[rule.index] < rule.limit
        )
        unexpected = tuple(event for play in plays for event in play.unexpected)
        vad, remarks = self._vad()
        return ScenarioJudgement(self.scenario.id, unmet, unexpected, vad, remarks)

    def _vad(self) -> tuple[tuple[VadVerdict, ...], tuple[str, ...]]:
        expectation = self.scenario.expect_vad
        if expectation is None or self.scenario.vad is None:
            return (), ()
        expected = _expected_turns(self.scenario)
        tolerance = expectation.tolerance_ms
        verdicts = judge_turns(expected, self.turns, tolerance, self.audio.position_ms)
        return tuple(verdicts), _format_remark(self.scenario, self.audio.fmt)


def _format(value: Any) -> AudioFormat:
    try:
        return parse_format(value if isinstance(value, str) else None)
    except AudioFormatError:
        return PCM16


def _expected_turns(scenario: Scenario) -> tuple[ExpectedTurn, ...]:
    """The turns `expect_vad` expects: listed, or (auto) those of the caller's audio."""
    expectation = scenario.expect_vad
    if expectation is None:
        return ()
    if isinstance(expectation.turns, tuple):
        return expectation.turns
    return caller_audio(scenario).expected


def _format_remark(scenario: Scenario, heard: AudioFormat) -> tuple[str, ...]:
    """Audio decoded in another format than the caller's reads as noise: say so."""
    caller = scenario.caller
    if caller is None or heard == caller.fmt:
        return ()
    return (
        f"the session's input audio format is {heard.beta_name} but the caller's audio is "
        f"{caller.fmt.beta_name}: the VAD decoded the client's appends as {heard.beta_name}",
    )
