"""Step expansion has one home (rtproto.scenario.steps): every step kind the schema allows loads
into a kind it dispatches, and both expanders (the player's sender, coverage) handle every kind,
so a new kind of step cannot be silently dropped by coverage."""

from __future__ import annotations

import inspect
import json
import random
from pathlib import Path
from typing import get_args

import pytest

from realtime_conformance.rtproto.ids import IdFactory
from realtime_conformance.rtproto.scenario import Scenario, parse_scenario
from realtime_conformance.rtproto.scenario.coverage import CoverageSteps, scenario_coverage
from realtime_conformance.rtproto.scenario.names import TEMPLATE_NAMES
from realtime_conformance.rtproto.scenario.spec import Step
from realtime_conformance.rtproto.scenario.steps import (
    STEP_KINDS,
    StepHandlers,
    expand_step,
    reply_resolver,
)
from realtime_conformance.rtproto.server.play import HttpScenario, ScenarioPlayer
from realtime_conformance.rtproto.server.play.sender import ReplySteps
from realtime_conformance.rtproto.server.play.state import ConnectionState, TemplateContext
from realtime_conformance.schemas import SCHEMA_ROOT
from tests.support.virtual_clock import BehaviourClock, VirtualClock

HEAD = "id: 1.1.9\ntitle: T\nrequirement: The client MUST work.\n"
# One reply step per kind of step the schema allows (the templates: one of them stands for all;
# tests/test_scenario_loader.py keeps the template names equal to the schema's).
SAMPLES: dict[str, str] = {
    "template": "text_response",
    "event": "{event: {type: rate_limits.updated, rate_limits: []}}",
    "raw": "{raw: 'not json'}",
    "wait_ms": "{wait_ms: 5}",
    "replay": "{replay: {file: one.jsonl}}",
    "simulate": "{simulate: {text: Hi}}",
}
HTTP_ONLY = {"simulate"}
# What coverage counts each kind as sending (a raw frame and a wait send no event type).
COUNTED = {
    "template": "response.done",
    "event": "rate_limits.updated",
    "replay": "rate_limits.updated",
}


def schema_step_kinds() -> set[str]:
    """The kinds of step the scenario schema allows: templates (by name), and the other keys."""
    schema = json.loads((SCHEMA_ROOT / "scenario.schema.json").read_text())
    bare, keyed = schema["$defs"]["step"]["anyOf"]
    keys = set(keyed["properties"]) | {key.strip("^$") for key in keyed["patternProperties"]}
    assert set(bare["enum"]) <= set(TEMPLATE_NAMES)
    return {"template" if key in TEMPLATE_NAMES else key for key in keys}


def scenario_with(kind: str, directory: Path) -> Scenario:
    line = json.dumps({"t_ms": 0, "dir": "server", "event": {"type": "rate_limits.updated"}})
    (directory / "one.jsonl").write_text(line + "\n")
    api = "api: responses\n" if kind in HTTP_ONLY else "dialects: [ga]\n"
    when = "response.create"
    text = f"{HEAD}{api}expect:\n  - when: {{type: {when}}}\n    reply: [{SAMPLES[kind]}]\n"
    return parse_scenario(text, str(directory / "s.yaml"))


def test_the_sample_steps_are_every_kind_the_schema_allows() -> None:
    assert set(SAMPLES) == schema_step_kinds()


def test_every_step_type_has_its_handler_and_every_handler_a_step_type() -> None:
    assert set(STEP_KINDS) == set(get_args(Step))
    members = inspect.getmembers(StepHandlers, inspect.isfunction)
    protocol = {name for name, _ in members if not name.startswith("_")}
    assert set(STEP_KINDS.values()) == protocol
    for expander in (ReplySteps, CoverageSteps):
        assert protocol <= set(dir(expander)), expander.__name__


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_each_kind_loads_into_a_dispatched_step_and_both_expanders_take_it(
    kind: str, tmp_path: Path
) -> None:
    scenario = scenario_with(kind, tmp_path)
    [step] = scenario.rules[0].reply
    assert type(step) in STEP_KINDS
    state = ConnectionState(IdFactory(0), random.Random(0))
    resolve = reply_resolver(None, state.recall, state.ids.new)
    counted = expand_step(step, CoverageSteps(TemplateContext(state, None), resolve))
    assert (COUNTED[kind] in {e["type"] for e in counted}) if kind in COUNTED else counted == []
    if kind in HTTP_ONLY:
        stream = HttpScenario(scenario).open({"model": "gpt-5", "stream": True}, 0.0)
        assert VirtualClock(stream).run_out()  # the player sent what it expanded
    else:
        exercised = scenario_coverage(scenario).by_dialect["ga"]
        assert exercised.client == {"response.create"}
        assert COUNTED.get(kind, "session.created") in exercised.server or kind not in COUNTED
        clock = BehaviourClock(ScenarioPlayer(scenario))
        clock.start(0.0)
        clock.send({"type": "response.create"}, 1.0)
        clock.run_out()
        assert clock.sent or kind == "wait_ms"
