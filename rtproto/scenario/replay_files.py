"""The transcripts that replay steps name: where they are, read once, checked for the scenario.

A replay's `file` is absolute or relative to the scenario file's directory. The loader checks
that it can be read, that every line is JSON, and that its server events belong to the
scenario's api (and, for Realtime, are GA events: scenarios are GA-shaped). Problems name the
transcript's own line.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from realtime_conformance.rtproto.catalogue import Api
from realtime_conformance.rtproto.scenario.diagnostics import Issue
from realtime_conformance.rtproto.scenario.diagnostics import Path as PathTo
from realtime_conformance.rtproto.scenario.lint import scenario_api
from realtime_conformance.rtproto.scenario.names import event_name, event_names
from realtime_conformance.rtproto.scenario.recording import (
    Recording,
    RecordingError,
    read_recording,
)
from realtime_conformance.rtproto.transcript import api_of_event

CACHED_RECORDINGS = 64


def replay_path(file: str, scenario_file: str) -> Path:
    """A replay's transcript: absolute, or relative to the scenario file's directory."""
    path = Path(file)
    return path if path.is_absolute() else Path(scenario_file).parent / path


@lru_cache(maxsize=CACHED_RECORDINGS)
def _cached_recording(path: str, stamp: tuple[int, int]) -> Recording:
    return read_recording(path)


def load_recording(path: Path) -> Recording:
    """The transcript's recording, read once while the file is unchanged (checking a scenario
    and building it read each transcript once)."""
    status = path.stat()
    return _cached_recording(str(path), (status.st_mtime_ns, status.st_size))


def _replays(data: Any) -> Iterator[tuple[PathTo, str]]:
    """Every replay step's `file`, with the path to it in the data."""
    mapping: dict[str, Any] = data if isinstance(data, dict) else {}
    rules = mapping.get("expect")
    places: list[tuple[PathTo, Any]] = [(("on_start",), mapping.get("on_start"))]
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        reply = rule.get("reply") if isinstance(rule, dict) else None
        places.append((("expect", index, "reply"), reply))
    for path, steps in places:
        for index, step in enumerate(steps if isinstance(steps, list) else []):
            spec = step.get("replay") if isinstance(step, dict) else None
            if isinstance(spec, dict) and isinstance(spec.get("file"), str):
                yield (*path, index, "replay", "file"), spec["file"]


def foreign(event: dict[str, Any], api: Api) -> str | None:
    """Why a recorded server event cannot be replayed in a scenario of `api`; None if it can."""
    if api == "chat" and set(event) == {"error"}:
        return None  # a mid-stream error chunk
    recorded_api = api_of_event(event)
    if recorded_api != api:
        return f"holds a {recorded_api} event; this scenario's api is {api}"
    name = event_name(event, api)
    if name in event_names(api).server:
        return None
    if api == "realtime":
        return f"{name!r} is not a GA server event (scenarios are GA-shaped)"
    return f"{name!r} is not a {api} server event"


def _issue(path: PathTo, file: str, api: Api | None, scenario_file: str) -> Issue | None:
    resolved = replay_path(file, scenario_file)
    try:
        recording = load_recording(resolved)
    except OSError as error:
        return Issue(path, f"cannot read the transcript {str(resolved)!r}: {error.strerror}")
    except RecordingError as error:
        return Issue(path, f"{resolved}:{error.line}: {error.message}")
    if not recording.events and not recording.done:
        return Issue(path, f"{resolved} holds no server events to replay")
    if api is None:
        return None  # the schema reports the unknown api
    for replayed in recording.events:
        reason = foreign(replayed.event, api)
        if reason is not None:
            return Issue(path, f"{resolved}:{replayed.line}: {reason}")
    return None


def replay_issues(data: Any, scenario_file: str) -> Iterator[Issue]:
    """What is wrong with each replay's transcript (one issue per replay at most)."""
    api = scenario_api(data)
    for path, file in _replays(data):
        issue = _issue(path, file, api, scenario_file)
        if issue is not None:
            yield issue
