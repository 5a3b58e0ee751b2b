"""Which channels of schemas/ a run exercised: the event types seen on the OpenAI wire, per API,
dialect and direction, against the AsyncAPI catalogue (rtproto.catalogue).

Counted from the recordings (what the wire carried), not from what the cases meant to cover: a
case that was UNIMPLEMENTED or cut short exercised less than its scenario lists. Only the APIs
(and Realtime dialects) a run touched are listed, every catalogued type of each with the number
of case runs that carried it (0: not exercised); types seen that the catalogue lacks are listed
apart, as `unknown`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from realtime_conformance.conformance.recording import CaseRecording
from realtime_conformance.conformance.reporting.model import CaseRecord, ReportRun
from realtime_conformance.rtproto.catalogue import Api, load_catalogue

Key = tuple[str, str, str, str]  # api, dialect ("" outside Realtime), direction, type
DIRECTIONS = ("client", "server")


def event_type(event: dict[str, Any]) -> str | None:
    """An event's type as the catalogue names it (Chat chunks go by their `object`)."""
    value = event.get("type", event.get("object"))
    return value if isinstance(value, str) else None


def types_seen(recording: CaseRecording, dialect: str) -> set[Key]:
    found: set[Key] = set()
    for api, entry in recording.by_api():
        kind = event_type(entry.event) if entry.event is not None else None
        if kind is not None and entry.direction in DIRECTIONS:
            found.add((api, dialect if api == "realtime" else "", str(entry.direction), kind))
    return found


def _row(key: Key, cases: int) -> dict[str, Any]:
    api, dialect, direction, kind = key
    return {"api": api, "dialect": dialect, "direction": direction, "type": kind, "cases": cases}


def coverage_of(cases: list[tuple[CaseRecord, CaseRecording | None]]) -> dict[str, Any]:
    """{"channels": [row...], "unknown": [row...]}; a row counts the case runs that carried
    one (api, dialect, direction, type)."""
    seen: Counter[Key] = Counter()
    for case, recording in cases:
        if recording is not None:
            seen.update(types_seen(recording, str(case["dialect"])))
    catalogue = load_catalogue()
    touched = sorted({(api, dialect) for api, dialect, _, _ in seen})
    channels, known = [], set()
    for api, dialect in touched:
        specs = catalogue.events(_api(api), dialect)
        for spec in sorted(specs, key=lambda s: (s.direction, s.type)):
            key = (api, dialect, spec.direction, spec.type)
            known.add(key)
            channels.append(_row(key, seen.get(key, 0)))
    unknown = [_row(key, count) for key, count in sorted(seen.items()) if key not in known]
    return {"channels": channels, "unknown": unknown}


def _api(name: str) -> Api:
    return "chat" if name == "chat" else "responses" if name == "responses" else "realtime"


def run_coverage(run: ReportRun) -> dict[str, Any]:
    return coverage_of([(case, run.recording(case)) for case in run.cases])


def summary(coverage: dict[str, Any]) -> list[dict[str, Any]]:
    """Per (api, dialect, direction): types exercised of the catalogued ones."""
    groups: dict[tuple[str, str, str], list[int]] = {}
    for row in coverage.get("channels", []):
        key = (row["api"], row["dialect"], row["direction"])
        counts = groups.setdefault(key, [0, 0])
        counts[0] += row["cases"] > 0
        counts[1] += 1
    return [
        {"api": a, "dialect": d, "direction": r, "seen": seen, "total": total}
        for (a, d, r), (seen, total) in sorted(groups.items())
    ]
