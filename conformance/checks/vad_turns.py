"""`expect_vad` judged: the turns the player's VAD detected in the client's audio (as it noted
them in the transcript, rtproto.scenario.notes) against the turns expected (from the caller's
audio, or listed), each expected turn with one verdict:

- `met`: speech_started.audio_start_ms and speech_stopped.audio_end_ms within `tolerance_ms`;
- `shifted`: detected where it overlaps the expected turn, but off by more than that;
- `unfinished`: speech started, but no speech_stopped came (the audio stopped, or never went
  quiet for long enough);
- `missing`: no detected turn overlaps it;

and one `extra` verdict for each detected turn no expected turn accounts for. Detected turns are
matched to expected ones in timeline order, each to the first unmatched one that overlaps it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from realtime_conformance.rtproto.scenario.notes import DetectedTurn
from realtime_conformance.rtproto.scenario.spec import ExpectedTurn

Outcome = Literal["met", "shifted", "unfinished", "missing", "extra"]
START, END = "speech_started.audio_start_ms", "speech_stopped.audio_end_ms"


def _end(value: int | None) -> float:
    return math.inf if value is None else value


def _shift(actual: int | None, expected: int | None) -> int | None:
    return None if actual is None or expected is None else actual - expected


@dataclass(frozen=True)
class VadVerdict:
    outcome: Outcome
    turn: int | None  # the expected turn's number (1-based); None for an extra turn
    expected: ExpectedTurn | None
    detected: DetectedTurn | None
    tolerance_ms: int
    audio_ms: float  # audio the client had appended when judged

    @property
    def met(self) -> bool:
        return self.outcome == "met"

    @property
    def start_shift_ms(self) -> int | None:
        """Detected minus expected audio_start_ms (None unless both exist)."""
        if self.expected is None or self.detected is None:
            return None
        return self.detected.audio_start_ms - self.expected.audio_start_ms

    @property
    def end_shift_ms(self) -> int | None:
        if self.expected is None or self.detected is None:
            return None
        return _shift(self.detected.audio_end_ms, self.expected.audio_end_ms)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for reports."""
        turns = {"expected": self.expected, "detected": self.detected}
        shown = {
            name: None if turn is None else {
                "audio_start_ms": turn.audio_start_ms, "audio_end_ms": turn.audio_end_ms,
            }
            for name, turn in turns.items()
        }  # fmt: skip
        return {
            "outcome": self.outcome, "turn": self.turn, **shown,
            "start_shift_ms": self.start_shift_ms, "end_shift_ms": self.end_shift_ms,
            "tolerance_ms": self.tolerance_ms, "audio_ms": self.audio_ms,
        }  # fmt: skip

    def __str__(self) -> str:
        if self.turn is None:
            return f"extra VAD turn: {self._details()}"
        return f"VAD turn {self.turn}: {self.outcome}: {self._details()}"

    def _details(self) -> str:
        expected, detected, audio = self.expected, self.detected, f"{self.audio_ms:g}"
        if detected is None and expected is not None:
            return (
                f"expected {_pair(expected)}, no speech detected there; the client's audio "
                f"ended at {audio} ms"
            )
        if expected is None and detected is not None:
            return f"{_pair(detected)}, where the caller's audio has no speech"
        assert expected is not None and detected is not None
        start = _compare(START, detected.audio_start_ms, expected.audio_start_ms)
        if self.outcome == "unfinished":
            return (
                f"{start}, but no speech_stopped (expected audio_end_ms "
                f"{expected.audio_end_ms}); the client's audio ended at {audio} ms"
            )
        end = _compare(END, detected.audio_end_ms, expected.audio_end_ms)
        return f"{start}; {end}; tolerance {self.tolerance_ms} ms"


def _pair(turn: ExpectedTurn | DetectedTurn) -> str:
    end = "none (still speaking)" if turn.audio_end_ms is None else turn.audio_end_ms
    return f"{START} {turn.audio_start_ms} and {END} {end}"


def _compare(name: str, actual: int | None, expected: int | None) -> str:
    shift = _shift(actual, expected)
    shown = "none" if actual is None else str(actual)
    wanted = "none" if expected is None else str(expected)
    return f"{name} {shown}, expected {wanted}" + ("" if shift is None else f" ({shift:+d} ms)")


def _overlaps(expected: ExpectedTurn, detected: DetectedTurn, tolerance: int) -> bool:
    return (
        detected.audio_start_ms < _end(expected.audio_end_ms) + tolerance
        and _end(detected.audio_end_ms) > expected.audio_start_ms - tolerance
    )


def _outcome(expected: ExpectedTurn, detected: DetectedTurn, tolerance: int) -> Outcome:
    if expected.audio_end_ms is not None and detected.audio_end_ms is None:
        return "unfinished"
    start = abs(detected.audio_start_ms - expected.audio_start_ms) <= tolerance
    if expected.audio_end_ms is None or detected.audio_end_ms is None:
        end = expected.audio_end_ms == detected.audio_end_ms
    else:
        end = abs(detected.audio_end_ms - expected.audio_end_ms) <= tolerance
    return "met" if start and end else "shifted"


def _first_overlapping(
    wanted: ExpectedTurn, detected: Sequence[DetectedTurn], start: int, tolerance: int
) -> int | None:
    overlapping = (
        i for i in range(start, len(detected)) if _overlaps(wanted, detected[i], tolerance)
    )
    return next(overlapping, None)


def judge_turns(
    expected: Sequence[ExpectedTurn],
    detected: Sequence[DetectedTurn],
    tolerance_ms: int,
    audio_ms: float,
) -> list[VadVerdict]:
    """One verdict per expected turn, and one per extra detected turn, in timeline order."""
    verdicts: list[VadVerdict] = []
    cursor = 0

    def verdict(outcome: Outcome, turn: int | None, exp: Any, det: Any) -> None:
        verdicts.append(VadVerdict(outcome, turn, exp, det, tolerance_ms, audio_ms))

    for number, wanted in enumerate(expected, 1):
        found = _first_overlapping(wanted, detected, cursor, tolerance_ms)
        if found is None:
            verdict("missing", number, wanted, None)
            continue
        for extra in detected[cursor:found]:
            verdict("extra", None, None, extra)
        verdict(_outcome(wanted, detected[found], tolerance_ms), number, wanted, detected[found])
        cursor = found + 1
    for extra in detected[cursor:]:
        verdict("extra", None, None, extra)
    return verdicts
