"""Step expansion's one home: every kind of reply step, the handler each goes to, and how a
reply's expressions resolve.

Whoever expands a scenario's replies (the player, rtproto.server.play.sender; coverage,
rtproto.scenario.coverage) implements `StepHandlers` and expands each step with `expand_step`.
A step kind added to `Step` then fails mypy here (`assert_never`) and in every handler set (the
Protocol), and at run time an expander without its handler fails loudly instead of dropping the
step: coverage cannot silently stop counting what a new kind sends.
tests/test_scenario_steps.py checks that every step kind the schema allows loads into a kind of
`STEP_KINDS` and goes through both expanders.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar, assert_never

from realtime_conformance.rtproto.scenario.expressions import Expression, Resolver
from realtime_conformance.rtproto.scenario.matchers import MISSING, lookup
from realtime_conformance.rtproto.scenario.spec import (
    EventStep,
    RawStep,
    ReplayStep,
    SimulateStep,
    Step,
    TemplateStep,
    WaitStep,
)

T_co = TypeVar("T_co", covariant=True)
Event = dict[str, Any]

# Each kind of step and the handler that expands it.
STEP_KINDS: dict[type[Any], str] = {
    TemplateStep: "template",
    EventStep: "event",
    RawStep: "raw",
    WaitStep: "wait",
    ReplayStep: "replay",
    SimulateStep: "simulate",
}


class StepHandlers(Protocol[T_co]):
    """What one expander makes of each kind of step."""

    def template(self, step: TemplateStep) -> T_co: ...

    def event(self, step: EventStep) -> T_co: ...

    def raw(self, step: RawStep) -> T_co: ...

    def wait(self, step: WaitStep) -> T_co: ...

    def replay(self, step: ReplayStep) -> T_co: ...

    def simulate(self, step: SimulateStep) -> T_co: ...


def expand_step(step: Step, handlers: StepHandlers[T_co]) -> T_co:
    """`step` through the handler of its kind."""
    if isinstance(step, TemplateStep):
        return handlers.template(step)
    if isinstance(step, EventStep):
        return handlers.event(step)
    if isinstance(step, RawStep):
        return handlers.raw(step)
    if isinstance(step, WaitStep):
        return handlers.wait(step)
    if isinstance(step, ReplayStep):
        return handlers.replay(step)
    if isinstance(step, SimulateStep):
        return handlers.simulate(step)
    assert_never(step)


def reply_resolver(
    event: Event | None, recall: Callable[[str], Any], new_id: Callable[[str], str]
) -> Resolver:
    """How the `${...}` of one reply resolve: `event.PATH` in the client event it answers,
    `last.PATH` (`recall`) in the latest server event that has it, `id:PREFIX` a new id, the
    same one for every use of that prefix within the reply."""
    ids: dict[str, str] = {}

    def find(expression: Expression) -> Any:
        if expression.root == "event":
            return lookup(event, expression.argument) if event is not None else MISSING
        if expression.root == "last":
            return recall(expression.argument)
        if expression.argument not in ids:
            ids[expression.argument] = new_id(expression.argument)
        return ids[expression.argument]

    return Resolver(find)
