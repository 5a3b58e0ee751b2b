"""What the JSON Schema cannot say about `caller:`, `vad:` and `expect_vad:`.

- `expect_vad` needs `vad:` (the player's VAD detects the turns it judges), and `auto` needs a
  `caller:` to work the turns out from; `vad.turn` rules need `vad:` too.
- A WAV is played as recorded: the script's knobs (lead_in_ms, level_dbfs, seed) do not apply.
- A script's expected turns must be certain: its speech must be loud enough for the threshold
  at its quietest frame, and no silence may be within one VAD frame of ending a turn (whether
  it does would depend on where a burst edge falls in its frame).
- Listed turns go forward in time, each ending after it starts.

Like rtproto.scenario.lint, everything reads the raw data defensively.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from realtime_conformance.rtproto.audio.vad import level_for_threshold
from realtime_conformance.rtproto.scenario.caller import FRAME_MS, whole_frames
from realtime_conformance.rtproto.scenario.diagnostics import Issue, Path
from realtime_conformance.rtproto.scenario.names import VAD_TURN
from realtime_conformance.rtproto.scenario.spec import BurstScript, VadSettings

SCRIPT_ONLY = ("lead_in_ms", "level_dbfs", "seed")
DIP_DB = 13  # how far below its level the synthetic speech's quietest 10 ms frame can fall
PART_KINDS = {"speech_ms": "speech", "silence_ms": "silence"}


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def vad_settings(data: Any) -> VadSettings:
    """The `vad:` settings as far as they are well formed (defaults elsewhere)."""
    spec, defaults = _mapping(_mapping(data).get("vad")), VadSettings()
    given = {
        key: spec[key]
        for key in ("threshold", "prefix_padding_ms", "silence_duration_ms")
        if _number(spec.get(key)) and spec[key] >= 0
    }
    return replace(defaults, **given)


def _script(caller: dict[str, Any]) -> BurstScript | None:
    """The script, if it is well formed throughout (the schema reports it otherwise)."""
    parts = caller.get("script")
    if not isinstance(parts, list) or not all(isinstance(p, dict) and len(p) == 1 for p in parts):
        return None
    kinds = [(PART_KINDS.get(key), ms) for part in parts for key, ms in part.items()]
    if not all(kind and isinstance(ms, int) and ms >= 0 for kind, ms in kinds):
        return None
    lead, level = caller.get("lead_in_ms", 0), caller.get("level_dbfs", -20.0)
    if not (isinstance(lead, int) and lead >= 0 and _number(level)):
        return None
    return BurstScript(tuple((str(kind), int(ms)) for kind, ms in kinds), lead, float(level))


def _loud_enough(caller: dict[str, Any], script: BurstScript, vad: VadSettings) -> Iterator[Issue]:
    needed = level_for_threshold(vad.threshold)
    if script.level_dbfs - DIP_DB >= needed:
        return
    where: Path = ("caller", "level_dbfs") if "level_dbfs" in caller else ("caller",)
    message = (
        f"speech at {script.level_dbfs:g} dBFS dips to about {script.level_dbfs - DIP_DB:g} "
        f"dBFS, below the {needed:g} dBFS that vad threshold {vad.threshold:g} needs: the VAD "
        f"would not hear each burst as one stretch of speech; use level_dbfs >= "
        f"{math.ceil(needed + DIP_DB):g} or a lower threshold"
    )
    yield Issue(where, message, on_key=where == ("caller",))


def _frame(ms: int, up: bool) -> int:
    return (math.ceil if up else math.floor)(ms / FRAME_MS) * FRAME_MS


def _uncertain(end_ms: int, until_ms: int, last: bool, vad: VadSettings) -> bool:
    """Whether the silence from a burst's end to `until_ms` may or may not end the turn.

    A frame a burst edge falls in may be judged speech or silence; the audio's last partial
    frame is never judged."""
    needed = whole_frames(vad.silence_duration_ms)
    surely_silent = _frame(until_ms, up=False) - _frame(end_ms, up=True)
    maybe_silent = _frame(until_ms, up=not last) - _frame(end_ms, up=False)
    return surely_silent < needed <= maybe_silent


def _boundaries(script: BurstScript, vad: VadSettings) -> Iterator[Issue]:
    spans = script.spans()
    speech_parts = [i for i, (kind, _) in enumerate(script.parts) if kind == "speech"]
    for number, (span, part) in enumerate(zip(spans, speech_parts, strict=True)):
        last = number + 1 == len(spans)
        until = script.duration_ms if last else spans[number + 1].start_ms
        if _uncertain(span.end_ms, until, last, vad):
            what = "the rest of the audio" if last else "the pause"
            message = (
                f"{what} after this burst ({until - span.end_ms} ms of silence, from "
                f"{span.end_ms} ms) is within one {FRAME_MS} ms VAD frame of "
                f"silence_duration_ms {vad.silence_duration_ms}: whether it ends the turn "
                "depends on where the burst edge falls in its frame; make it clearly shorter "
                "or longer"
            )
            yield Issue(("caller", "script", part), message)


def _listed_turns(spec: Any, path: Path) -> Iterator[Issue]:
    turns = spec if isinstance(spec, list) else []
    previous_end = 0
    for index, turn in enumerate(turns):
        start, end = _mapping(turn).get("audio_start_ms"), _mapping(turn).get("audio_end_ms")
        if not isinstance(start, int):
            continue
        if isinstance(end, int) and end <= start:
            yield Issue(
                (*path, index, "audio_end_ms"), f"{end} is not after audio_start_ms {start}"
            )
        if start < previous_end:
            message = f"{start} is before the end of the previous turn ({previous_end})"
            yield Issue((*path, index, "audio_start_ms"), message)
        previous_end = end if isinstance(end, int) else start


def _expectation(data: dict[str, Any]) -> Iterator[Issue]:
    spec = data["expect_vad"]
    turns = _mapping(spec).get("turns", spec)
    if not data.get("vad"):
        message = (
            "judges the turns the player's VAD detects in the client's audio: add vad: "
            "(true for server_vad's defaults)"
        )
        yield Issue(("expect_vad",), message, on_key=True)
    if turns == "auto" and not isinstance(data.get("caller"), dict):
        message = "auto works the turns out from caller:, which is missing; add one or list them"
        yield Issue(("expect_vad",), message, on_key=True)
    path: Path = ("expect_vad", "turns") if isinstance(spec, dict) else ("expect_vad",)
    yield from _listed_turns(turns, path)


def _turn_rules(data: dict[str, Any]) -> Iterator[Issue]:
    rules = data.get("expect")
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        matcher = _mapping(_mapping(rule).get("when")).get("type")
        names = _mapping(matcher).get("any_of", [_mapping(matcher).get("eq", matcher)])
        if VAD_TURN in (names if isinstance(names, list) else []):
            message = f"{VAD_TURN!r} happens only with vad: (the player's VAD commits the turns)"
            yield Issue(("expect", index, "when", "type"), message)


def caller_issues(data: Any) -> Iterator[Issue]:
    """Everything wrong with a Realtime scenario's caller, vad and expect_vad."""
    data = _mapping(data)
    if "expect_vad" in data:
        yield from _expectation(data)
    if not data.get("vad"):
        yield from _turn_rules(data)
    caller = _mapping(data.get("caller"))
    if "wav" in caller:
        for key in (key for key in SCRIPT_ONLY if key in caller):
            message = f"{key} applies to a script; a WAV is played as recorded"
            yield Issue(("caller", key), message, on_key=True)
    script = _script(caller)
    if script is not None:
        vad = vad_settings(data)
        yield from _loud_enough(caller, script, vad)
        yield from _boundaries(script, vad)
