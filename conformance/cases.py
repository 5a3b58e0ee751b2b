"""Conformance cases: each catalogue scenario, with what the suite does to run and judge it.

A case is a scenario (fixtures/scenarios/) plus its optional `case:` block; every key the block
leaves out is derived from the scenario by conformance.case_defaults. Selection follows h2spec:
node ids are the dotted case ids with the dialect (`5.4.2[ga]`), `--case` takes fnmatch patterns
(`5.4.*`), `--strict` adds the SHOULD-level cases, `--dialect ga|beta|both`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from realtime_conformance.conformance.case_defaults import Derived, Step, Timing, Wait, derive
from realtime_conformance.conformance.drivers.base import Dialect
from realtime_conformance.conformance.drivers.methods import method_call
from realtime_conformance.conformance.verdicts import pattern_covers
from realtime_conformance.fixtures import FIXTURES_ROOT, SCENARIOS_ROOT
from realtime_conformance.rtproto.scenario import Scenario, load_scenarios
from realtime_conformance.rtproto.scenario.spec import CaseBlock, CaseStep

DIALECT_CHOICES = ("ga", "beta", "both")


@dataclass(frozen=True)
class Case:
    """One requirement, ready to run: what the server plays, what the client is asked to do,
    what it needs, when the case ends and which checks judge it."""

    id: str
    title: str
    requirement: str
    strict: bool  # a SHOULD-level case
    dialects: tuple[Dialect, ...]
    scenario: Scenario = field(repr=False)
    steps: tuple[Step, ...]
    until: Wait
    needs: frozenset[str]
    timing: Timing
    timeout_s: float
    checks: tuple[str, ...]
    simulated: Mapping[str, Any] | None = None  # the simulated model's settings, else scenario
    tolerances: Mapping[str, float] = field(default_factory=dict)
    expect: Mapping[str, Any] = field(default_factory=dict)
    media: str = "twilio"
    informational: bool = False
    unrunnable: str | None = None  # why no driver step can make a client do what it needs

    @property
    def level(self) -> str:
        return "SHOULD" if self.strict else "MUST"

    @property
    def uses_call(self) -> bool:
        return any(step.action == "stream_call" for step in self.steps)

    def played(self) -> Scenario:
        """The scenario as the mock plays it: an ordering case unpaced (replies at once, events
        back to back: only their order is judged), a timing case as written. Faults, and waits
        written into replies, keep their times."""
        if self.timing != "ordering":
            return self.scenario
        rules = tuple(replace(rule, delay_ms=None, pace_ms=None) for rule in self.scenario.rules)
        return replace(self.scenario, rules=rules, delay_ms=0, pace_ms=0)

    def node_id(self, dialect: str) -> str:
        return f"{self.id}[{dialect}]"

    @property
    def sort_key(self) -> list[int]:
        return [int(part) for part in self.id.split(".")]


def _step(step: CaseStep) -> Step:
    if step.action == "wait":
        return Step("wait", Wait.parse(step.args or {}))
    if step.action == "call_method":
        method_call(step.args)  # a method no client has fails the catalogue, not a run
    return Step(step.action, step.args)


def _override(block: CaseBlock | None, derived: Derived) -> Derived:
    """The derived parts, with what the `case:` block states put in their place."""
    if block is None:
        return derived
    steps = tuple(_step(s) for s in block.steps) if block.steps is not None else None
    return Derived(
        steps=steps if steps is not None else derived.steps,
        until=Wait.parse(block.until) if block.until is not None else derived.until,
        needs=frozenset(block.needs) if block.needs is not None else derived.needs,
        timing=block.timing or derived.timing,  # type: ignore[arg-type]
        timeout_s=block.timeout_s or derived.timeout_s,
        checks=block.checks if block.checks is not None else derived.checks,
        unrunnable=None if block.steps is not None else derived.unrunnable,
    )


def case_of(scenario: Scenario) -> Case:
    """The case a scenario makes: its `case:` block over what is derived from it."""
    block = scenario.case
    parts = _override(block, derive(scenario))
    return Case(
        id=scenario.id,
        title=scenario.title,
        requirement=scenario.requirement,
        strict=scenario.strict,
        dialects=tuple(d for d in ("ga", "beta") if d in (scenario.dialects or ("ga",))),
        scenario=scenario,
        steps=parts.steps,
        until=parts.until,
        needs=parts.needs,
        timing=parts.timing,
        timeout_s=parts.timeout_s,
        checks=parts.checks,
        simulated=block.simulated if block else None,
        tolerances=dict(block.tolerances) if block else {},
        expect=dict(block.expect) if block else {},
        media=(block.media if block and block.media else "twilio"),
        informational=block.informational if block else False,
        unrunnable=parts.unrunnable,
    )


CASES_ROOT = FIXTURES_ROOT / "cases"  # cases the simulated model plays: no scripted server


@cache
def _catalogue(directories: tuple[Path, ...]) -> tuple[Case, ...]:
    scenarios = [s for d in directories if d.is_dir() for s in load_scenarios(d)]
    seen: dict[str, str] = {}
    for scenario in scenarios:
        first = seen.setdefault(scenario.id, scenario.source)
        if first != scenario.source:
            raise ValueError(f"case id {scenario.id} twice: {first} and {scenario.source}")
    return tuple(case_of(scenario) for scenario in sorted(scenarios, key=_id_order))


def _id_order(scenario: Scenario) -> list[int]:
    return [int(part) for part in scenario.id.split(".")]


def load_cases(*directories: Path | str) -> tuple[Case, ...]:
    """Every scenario below the directories as a case, in id order (default: the scenario
    catalogue and fixtures/cases/); a Responses or Chat one runs once, as `ID[ga]`."""
    chosen = directories or (SCENARIOS_ROOT, CASES_ROOT)
    return _catalogue(tuple(Path(d) for d in chosen))


def dialects_for(choice: str) -> tuple[Dialect, ...]:
    if choice not in DIALECT_CHOICES:
        raise ValueError(f"--dialect must be one of {', '.join(DIALECT_CHOICES)}, not {choice!r}")
    return ("ga", "beta") if choice == "both" else (choice,)  # type: ignore[return-value]


@dataclass(frozen=True)
class Selected:
    """One run of one case in one dialect (a pytest item, a results.json record)."""

    case: Case
    dialect: Dialect

    @property
    def node_id(self) -> str:
        return self.case.node_id(self.dialect)


def matches(case: Case, patterns: Sequence[str], dialect: str | None = None) -> bool:
    """`--case` patterns: fnmatch on the id (`5.4` also selects `5.4.*`), optionally naming a
    dialect as a node id does (`5.4.2[beta]`); with `dialect` None any dialect will do."""
    if not patterns:
        return True
    dialects = (dialect,) if dialect else ("ga", "beta")
    return any(pattern_covers(p, case.id, d) for p in patterns for d in dialects)


def select(
    cases: Iterable[Case],
    patterns: Sequence[str] = (),
    strict: bool = False,
    dialect: str = "both",
) -> list[Selected]:
    """The (case, dialect) runs chosen, in id order then GA before beta. SHOULD-level cases only
    with `strict`; a case runs once per selected dialect it supports."""
    wanted = dialects_for(dialect)
    chosen = sorted((c for c in cases if strict or not c.strict), key=lambda c: c.sort_key)
    return [
        Selected(c, d)
        for c in chosen
        for d in c.dialects
        if d in wanted and matches(c, patterns, d)
    ]


class UnknownCase(ValueError):
    """A `--case` pattern that selects nothing."""


def check_patterns(cases: Iterable[Case], patterns: Sequence[str]) -> None:
    """Raise UnknownCase for the first pattern that matches no case at all."""
    known = list(cases)
    for pattern in patterns:
        if not any(matches(case, [pattern]) for case in known):
            ids = ", ".join(case.id for case in known[:5])
            raise UnknownCase(f"--case {pattern!r} matches no case (ids look like {ids}, ...)")
