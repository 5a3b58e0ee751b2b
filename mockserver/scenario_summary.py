"""What the control API reports of a scripted connection or HTTP exchange: the client judged from
the transcript by conformance.checks.scenario_rules. The mock judges nothing itself; its players
note what they saw in the transcript (rtproto.scenario.notes) and the check decides, the same way
for the control API, the conformance suite and anyone holding the transcript file.

Layering: mockserver may import conformance.checks (pure functions of a transcript that import
only rtproto); conformance.checks never imports mockserver.

An HTTP scenario plays over several requests (its rules' `times` carry over while it stays
chosen), so an exchange is judged together with the earlier kept exchanges of the same scenario:
the latest exchange shows where the play stands. Transcripts kept only in files
(`--no-transcripts-in-memory`) are read from the file, complete once the connection has ended.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from realtime_conformance.conformance.checks.scenario_rules import judge_scenario, played_scenarios
from realtime_conformance.mockserver.state import ConnectionRecord, MockState
from realtime_conformance.rtproto.server.play import ScenarioPlayer


def scenario_summary(state: MockState, record: ConnectionRecord) -> dict[str, Any]:
    """`{"scenario": id, "unmatched": [...], "unmet": [...], "vad": [...], "problems": [...]}`,
    or `{"scenario": None}` for a connection no scenario played."""
    if record.scripted is False:
        return {"scenario": None}  # the simulated model: no need to read its transcript
    lines = _lines(state, record)
    played = played_scenarios(lines)
    scenario = state.scenarios.by_id.get(played[-1]) if played else None
    if scenario is None:
        return {"scenario": None}
    if scenario.api != "realtime":
        lines = _play_lines(state, record, scenario.id)
    player = record.behaviour
    problems = player.problems if isinstance(player, ScenarioPlayer) else record.scenario_problems
    return {**judge_scenario(scenario, lines).as_dict(), "problems": list(problems)}


def _lines(state: MockState, record: ConnectionRecord) -> list[str]:
    if state.options.transcripts_in_memory:
        return record.recording.lines
    path = record.recording.path
    return Path(path).read_text(encoding="ascii").splitlines() if path else []


def _play_lines(state: MockState, record: ConnectionRecord, scenario_id: str) -> list[str]:
    """The kept exchanges of the scenario up to this one, in the order they came."""
    lines: list[str] = []
    for kept in state.connections.values():
        if kept.scripted is None:  # an HTTP exchange
            exchange = _lines(state, kept)
            lines += exchange if scenario_id in played_scenarios(exchange) else []
        if kept is record:
            break
    return lines
