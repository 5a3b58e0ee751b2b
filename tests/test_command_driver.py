"""The reference client as a command (`python -m realtime_conformance.refclient.driver`, one
child per case) passes what it passes in process, in both dialects; a broken variant as a
command fails its check; every line both ways, tapped from those runs, is valid against
schemas/driver/."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import jsonschema
import pytest

from realtime_conformance.conformance.cases import Selected, load_cases, select
from realtime_conformance.conformance.drivers.base import CAPABILITIES
from realtime_conformance.conformance.drivers.child_process import Child
from realtime_conformance.conformance.drivers.command import CommandDriver
from realtime_conformance.conformance.drivers.command_client import CommandClient
from realtime_conformance.conformance.harness import openai_side
from realtime_conformance.conformance.runner import CaseResult, run_cases
from realtime_conformance.conformance.verdicts import Verdict
from realtime_conformance.schemas import SCHEMA_ROOT

REFERENCE = f"{sys.executable} -m realtime_conformance.refclient.driver"
BROKEN = (
    f"{sys.executable} -m realtime_conformance.conformance.clients.by_command create_before_output"
)
BOUND_S = 120.0
# Text, tools, cancel, a malformed frame (both dialects); a method call, a bridged phone call
# (media reports) and a Responses turn (HTTP start params): every command and line kind.
CASES = ["5.1.1", "6.1.1", "7.2.1", "8.2.2"]
ONE_DIALECT = ["4.1.2", "3.1.1", "9.1.1"]
TAPPED: list[tuple[str, Any]] = []  # ("command" | "client", the line's JSON)


class TappedDriver(CommandDriver):
    """The command driver with every line both ways kept in TAPPED."""

    def send(self, child: Child, command: Mapping[str, Any]) -> None:
        TAPPED.append(("command", json.loads(json.dumps(command))))
        super().send(child, command)

    def line(self, text: str) -> None:
        TAPPED.append(("client", json.loads(text)))
        super().line(text)


def run(selection: Sequence[Selected], client: CommandClient) -> list[CaseResult]:
    async def body() -> list[CaseResult]:
        async with openai_side() as side:
            return await run_cases(selection, side, client)

    return asyncio.run(asyncio.wait_for(body(), BOUND_S))


@pytest.fixture(scope="module")
def reference_results() -> list[CaseResult]:
    cases = load_cases()
    selection = select(cases, CASES) + select(cases, ONE_DIALECT, dialect="ga")
    return run(selection, CommandClient(REFERENCE, driver=TappedDriver))


def test_the_reference_client_as_a_command_passes_in_both_dialects(
    reference_results: list[CaseResult],
) -> None:
    verdicts = {r.node_id: r.verdict for r in reference_results}
    assert set(verdicts.values()) == {Verdict.PASS}, {
        r.node_id: [f.actual for f in r.failures] for r in reference_results if r.failures
    }
    assert {f"{c}[{d}]" for c in CASES for d in ("ga", "beta")} <= set(verdicts)
    call = next(r for r in reference_results if r.case.id == "3.1.1")
    assert call.recording is not None
    reports = [e.meta["name"] for e in call.recording if e.meta and e.meta.get("kind") == "report"]
    assert "WebSocketMediaStarted" in reports  # a report line reached the driver wire


def validator(name: str) -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMA_ROOT / "driver" / name).read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def test_every_line_both_ways_is_valid_against_the_schemas(
    reference_results: list[CaseResult],
) -> None:
    commands, client = validator("command.schema.json"), validator("client-line.schema.json")
    for way, line in TAPPED:
        (commands if way == "command" else client).validate(line)
    sent = {line["method"] for way, line in TAPPED if way == "command"}
    assert sent == {"start", "configure", "send_text", "stream_call", "set_tool_outputs",
                    "cancel", "call_method", "close"}  # fmt: skip
    kinds = {
        next(k for k in ("driver", "report", "ok") if k in line)
        for w, line in TAPPED
        if w == "client"
    }
    assert kinds == {"driver", "report", "ok"}


def test_the_schemas_name_the_capabilities_and_methods_the_suite_knows() -> None:
    client = json.loads((SCHEMA_ROOT / "driver" / "client-line.schema.json").read_text())
    hello = client["$defs"]["hello"]["properties"]["capabilities"]["items"]["enum"]
    assert set(hello) == CAPABILITIES
    commands = json.loads((SCHEMA_ROOT / "driver" / "command.schema.json").read_text())
    methods = {d["properties"]["method"]["const"] for d in commands["$defs"].values()}
    driven = {"start", "configure", "send_text", "stream_call", "set_tool_outputs", "cancel",
              "call_method", "close"}  # fmt: skip
    assert methods == driven and all(hasattr(CommandDriver, m) for m in driven)


def test_a_broken_variant_as_a_command_fails_the_check_it_breaks() -> None:
    """As in process (conformance.clients.broken): response.create before the tool output; the
    scenario then waits in vain (a timeout besides), so the case gets a short time limit."""
    tool_turn = next(c for c in load_cases() if c.id == "6.1.1")
    selection = [Selected(dataclasses.replace(tool_turn, timeout_s=5.0), "ga")]
    (result,) = run(selection, CommandClient(BROKEN))
    assert result.verdict is Verdict.FAIL
    (failure,) = [f for f in result.failures if f.check == "order.tool_output_before_response"]
    assert failure.level == "MUST"
