"""The case's scenario judged from the mock's transcript (conformance.checks.scenario_rules): the
judgement the mock's control API reports, over every connection of the case (a client may
reconnect), as failures of the suite."""

from __future__ import annotations

from collections.abc import Iterator

from realtime_conformance.conformance.checks.registry import BoundCheck, Violation, check
from realtime_conformance.conformance.checks.scenario_rules import NotPlayed, judge_run


@check(
    "scenario.rules",
    "scenario",
    "MUST",
    "The client MUST send what the case's scenario expects: each rule with a finite `times` takes "
    "that many client events, every client event is one a rule takes (in order where the "
    "scenario is ordered), and each VAD turn of `expect_vad` is detected where the caller spoke, "
    "within the scenario's tolerance_ms.",
)
def scenario_rules(bound: BoundCheck) -> Iterator[Violation]:
    scenario = bound.ctx.scenario
    if scenario is None:
        return
    try:
        judgement = judge_run(scenario, [entry.line for entry in bound.recording.on("openai")])
    except NotPlayed:
        return  # the simulated model played the case: no rules to meet
    for unmet in judgement.unmet_rules:
        yield Violation(("the rule takes as many client events as its `times`",), unmet)
    for event in judgement.unexpected:
        actual = f"client event {event.event_type!r}, which no rule takes"
        yield Violation(event.expected, actual, event.t_ms, detail=f"line {event.line}")
    remarks = "; ".join(judgement.vad_remarks)
    for verdict in judgement.vad:
        if not verdict.met:
            expected = "a VAD turn where the caller spoke" if verdict.expected else "no VAD turn"
            yield Violation((expected,), str(verdict), detail=remarks)
