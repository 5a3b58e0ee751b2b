"""A recorded transcript as a replay scenario (schemas/scenario.schema.json).

Server events before the client's first event go to `on_start`; after that, each client event
becomes a rule (`times: once`, `ordered: true`, matched by its type) whose reply is the server
events that followed it until the next client event, as literal events with the recorded gaps
(`delay_ms` before the first, `wait_ms` steps between the others). An HTTP exchange (Responses,
Chat) has one rule: its request, answered by the streamed events. The result plays back what
the server said, in order, to a client that sends what the recorded one sent; the recorded ids
are kept as they were.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from realtime_conformance.rtproto.transcript import (
    TranscriptLine,
    api_of_event,
    api_of_path,
    parse_lines,
)

PSEUDO_REQUEST = {"responses": "response.create", "chat": "chat.completions.create"}
MIN_WAIT_MS = 1.0  # gaps below this are noise of the recording


@dataclass
class Turn:
    when: dict[str, Any] | None  # None: before the first client event (on_start)
    at_ms: float
    steps: list[dict[str, Any]] = field(default_factory=list)
    last_ms: float | None = None
    delay_ms: int = 0
    times: int = 1  # client events of one type in a row that got no answer: one rule

    def add(self, event: dict[str, Any], t_ms: float) -> None:
        gap = t_ms - (self.at_ms if self.last_ms is None else self.last_ms)
        if self.last_ms is not None and gap >= MIN_WAIT_MS:
            self.steps.append({"wait_ms": round(gap)})
        if self.last_ms is None:
            self.delay_ms = max(0, round(gap))
        self.steps.append({"event": event})
        self.last_ms = t_ms


def recorded_api(lines: list[TranscriptLine]) -> tuple[str, str | None]:
    """The API and, for Realtime, the dialect, from the first handshake or request line."""
    for line in lines:
        meta = line.meta or {}
        if meta.get("kind") == "handshake":
            api = api_of_path(meta.get("path"))
            return api, str(meta.get("dialect") or "ga") if api == "realtime" else None
        if meta.get("kind") == "http_request":
            path = str(meta.get("path", ""))
            return ("chat" if path.endswith("/chat/completions") else "responses"), None
    for line in lines:
        if isinstance(line.event, dict):
            api = api_of_event(line.event)
            return api, "ga" if api == "realtime" else None
    return "realtime", "ga"


def turns(lines: list[TranscriptLine], api: str) -> list[Turn]:
    http = api != "realtime" and not any(
        (line.meta or {}).get("kind") == "handshake" for line in lines
    )
    found = [Turn(None, 0.0)] if not http else [Turn({"type": PSEUDO_REQUEST[api]}, 0.0)]
    for line in lines:
        t_ms = float(line.record.get("t_ms") or 0.0)
        if not isinstance(line.event, dict) or line.is_partial:
            continue
        if line.direction == "client":
            when = {"type": line.event.get("type")}
            if found[-1].when == when and not found[-1].steps:
                found[-1].times += 1
            else:
                found.append(Turn(when, t_ms))
        elif line.direction in ("server", None):
            found[-1].add(line.event, t_ms)
    return found


def to_scenario(path: Path, scenario_id: str = "900.1") -> dict[str, Any]:
    lines = list(parse_lines(path.read_text(encoding="utf-8").splitlines()))
    api, dialect = recorded_api(lines)
    data: dict[str, Any] = {
        "id": scenario_id,
        "title": f"Replay of {path.name}",
        "requirement": f"The client MUST send what the client recorded in {path.name} sent.",
    }
    data.update({"dialects": [dialect]} if api == "realtime" else {"api": api})
    data["ordered"] = True
    recorded = turns(lines, api)
    if recorded and recorded[0].when is None:
        data["on_start"] = recorded.pop(0).steps
    data["expect"] = [rule(turn) for turn in recorded]
    return data


def rule(turn: Turn) -> dict[str, Any]:
    spec: dict[str, Any] = {"when": turn.when, "times": "once" if turn.times == 1 else turn.times}
    if turn.delay_ms:
        spec["delay_ms"] = turn.delay_ms
    if turn.steps:
        spec["reply"] = turn.steps
    return spec


def dumps(data: dict[str, Any]) -> str:
    header = "# Made by `realtime-conformance record --to-scenario`: edit freely.\n"
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
