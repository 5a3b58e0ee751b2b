"""The session a case's `configure` step asks for, from the scenario's session.update rule.

Only what the rule names is asked for, so the stimulus changes nothing the scenario did not
choose: a field the rule wants equal to a value gets that value; a field it wants present gets
the schema's example value (rtproto.scenario.coverage.client_event_for); a list element it names
(`session.tools.0.type`) is copied whole from that example, so the tool is a valid one.
"""

from __future__ import annotations

from typing import Any

from realtime_conformance.rtproto.scenario.matchers import MISSING, lookup
from realtime_conformance.rtproto.scenario.rule_events import client_event_for
from realtime_conformance.rtproto.scenario.spec import Rule, Scenario

BASE = {"type": "realtime"}


def _named_paths(rule: Rule) -> list[list[str]]:
    """The session paths the rule names, each cut after its first list index."""
    paths = []
    for matcher in rule.when:
        if not matcher.path.startswith("session."):
            continue
        parts = matcher.path.split(".")[1:]
        index = next((i for i, part in enumerate(parts) if part.isdigit()), None)
        paths.append(parts if index is None else parts[: index + 1])
    return paths


def _put(session: dict[str, Any], parts: list[str], example: dict[str, Any]) -> None:
    """Copy the example's value at `parts` into `session` (a list up to the named index)."""
    if parts[-1].isdigit():
        listed = lookup(example, ".".join(parts[:-1]))
        if not isinstance(listed, list):
            return
        value: Any = listed[: int(parts[-1]) + 1]
        parts = parts[:-1]
    else:
        value = lookup(example, ".".join(parts))
        if value is MISSING:
            return
    node = session
    for part in parts[:-1]:
        child = node.get(part)
        node = node.setdefault(part, {}) if not isinstance(child, dict) else child
    node[parts[-1]] = value


def session_for(rule: Rule | None, scenario: Scenario) -> dict[str, Any]:
    """The session of one session.update that the rule takes; the caller's input format when
    the scenario has a caller and the rule does not choose the format."""
    session: dict[str, Any] = dict(BASE)
    if rule is not None:
        example = client_event_for(rule).get("session")
        for parts in _named_paths(rule) if isinstance(example, dict) else []:
            _put(session, parts, example)  # type: ignore[arg-type]
    if scenario.caller is not None:
        audio_input = session.setdefault("audio", {}).setdefault("input", {})
        audio_input.setdefault("format", scenario.caller.fmt.ga())
    return session
