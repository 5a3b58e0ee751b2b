"""The check registry: every check is a named pure function of a `CheckContext`.

A check module registers functions with `@check(name, concern, level, requirement,
tolerances=...)`. The function returns (or yields) `Violation`s; the registry turns each into a
`Failure` that carries the check's name, level and requirement text. Tolerances are stated in
the requirement: `{name}` placeholders in it are filled from the check's default tolerances,
overridden per case by `CheckContext.tolerances`, so the text a vendor reads always shows the
bound that judged them.

`run_checks(ctx, names)` runs the named checks (all modules of this package are imported first,
so every registered check is known) and returns the failures; measurements the checks take
(latencies, lead, ...) are collected in `ctx.measurements`, keyed `check.measure`, the
worst of a case kept.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, TypeVar

from realtime_conformance.conformance.recording import CaseRecording
from realtime_conformance.rtproto.scenario import Scenario

T = TypeVar("T")
Level = Literal["MUST", "SHOULD", "INFO"]
LEVELS: tuple[Level, ...] = ("MUST", "SHOULD", "INFO")


@dataclass(frozen=True)
class Violation:
    """What one check found wrong, before the registry names it."""

    expected: tuple[str, ...]  # every acceptable outcome
    actual: str  # what happened, including "timeout" and "connection closed"
    at_ms: float | None = None
    measurements: Mapping[str, float] = field(default_factory=dict)
    detail: str = ""  # which instance (item id, frame number, ...), for the reader


@dataclass(frozen=True)
class Failure:
    """A requirement a case's recording did not meet."""

    check: str
    requirement: str
    level: Level
    expected: tuple[str, ...]
    actual: str
    at_ms: float | None = None
    measurements: Mapping[str, float] = field(default_factory=dict)
    concern: str = ""
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "concern": self.concern,
            "level": self.level,
            "requirement": self.requirement,
            "expected": list(self.expected),
            "actual": self.actual,
            "at_ms": self.at_ms,
            "measurements": dict(self.measurements),
            "detail": self.detail,
        }


@dataclass
class CheckContext:
    """One case's recording and what the checks need to know about the case."""

    case_id: str
    title: str
    recording: CaseRecording
    dialect: str = "ga"
    capabilities: frozenset[str] = frozenset()
    tolerances: Mapping[str, float] = field(default_factory=dict)
    expect: Mapping[str, Any] = field(default_factory=dict)  # case-specific expectations
    measurements: dict[str, float] = field(default_factory=dict)
    derived: dict[str, Any] = field(default_factory=dict, repr=False)  # shared by checks
    scenario: Scenario | None = field(default=None, repr=False)  # what the mock played, if scripted

    def measure(self, name: str, value: float) -> None:
        self.measurements[name] = value

    def once(self, key: str, compute: Callable[[CaseRecording], T]) -> T:
        """`compute(recording)`, computed once per case however many checks ask for it."""
        if key not in self.derived:
            self.derived[key] = compute(self.recording)
        return self.derived[key]  # type: ignore[no-any-return]


CheckFunction = Callable[["BoundCheck"], Iterable[Violation] | None]


@dataclass(frozen=True)
class CheckSpec:
    name: str
    concern: str
    level: Level
    requirement: str  # may hold {tolerance} placeholders
    tolerances: Mapping[str, float]
    function: CheckFunction

    def requirement_text(self, overrides: Mapping[str, float]) -> str:
        return self.requirement.format_map(self.effective_tolerances(overrides))

    def effective_tolerances(self, overrides: Mapping[str, float]) -> dict[str, float]:
        return {key: overrides.get(key, value) for key, value in self.tolerances.items()}


@dataclass
class BoundCheck:
    """What a check function receives: the case context and its own effective tolerances."""

    ctx: CheckContext
    spec: CheckSpec
    tolerance: dict[str, float]

    @property
    def recording(self) -> CaseRecording:
        return self.ctx.recording

    def measure(self, name: str, value: float) -> None:
        """Record a figure as `check.name`; measured more than once in a case (per item, per
        barge-in), the one farthest from zero is kept: the worst."""
        key = f"{self.spec.name}.{name}"
        if abs(value) >= abs(self.ctx.measurements.get(key, 0.0)):
            self.ctx.measure(key, value)


REGISTRY: dict[str, CheckSpec] = {}


def check(
    name: str,
    concern: str,
    level: Level,
    requirement: str,
    tolerances: Mapping[str, float] | None = None,
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check. `requirement` is one MUST/SHOULD sentence stating its tolerances."""
    if level not in LEVELS:
        raise ValueError(f"level {level!r} is not one of {LEVELS}")

    def register(function: CheckFunction) -> CheckFunction:
        if name in REGISTRY and REGISTRY[name].function is not function:
            raise ValueError(f"check {name!r} is registered twice")
        spec = CheckSpec(name, concern, level, requirement, dict(tolerances or {}), function)
        spec.requirement_text({})  # a placeholder without a default fails here, at import
        REGISTRY[name] = spec
        return function

    return register


@cache
def load_all_checks() -> tuple[str, ...]:
    """Import every module of this package so that all checks are registered."""
    package = importlib.import_module("realtime_conformance.conformance.checks")
    modules = [info.name for info in pkgutil.iter_modules(package.__path__)]
    for module in modules:
        importlib.import_module(f"realtime_conformance.conformance.checks.{module}")
    return tuple(sorted(REGISTRY))


def get_check(name: str) -> CheckSpec:
    load_all_checks()
    if name not in REGISTRY:
        raise KeyError(f"no check named {name!r}; known: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]


def run_check(ctx: CheckContext, name: str) -> list[Failure]:
    spec = get_check(name)
    bound = BoundCheck(ctx, spec, spec.effective_tolerances(ctx.tolerances))
    requirement = spec.requirement_text(ctx.tolerances)
    return [
        Failure(
            spec.name,
            requirement,
            spec.level,
            tuple(violation.expected),
            violation.actual,
            violation.at_ms,
            dict(violation.measurements),
            spec.concern,
            violation.detail,
        )
        for violation in spec.function(bound) or ()
    ]


def run_checks(ctx: CheckContext, names: Iterable[str]) -> list[Failure]:
    """Run the named checks over the case's recording; failures in the order of `names`.

    A check that raises is a bug of the harness, not of the client: the exception propagates.
    Measurements land in `ctx.measurements`.
    """
    failures: list[Failure] = []
    for name in names:
        failures.extend(run_check(ctx, name))
    return failures


def format_failure(case_id: str, title: str, failure: Failure, reproduce: str) -> str:
    """The five parts: case id and title; requirement; Expected (all); Actual; `reproduce`
    (conformance.reproduce)."""
    expected = failure.expected
    expected_text = (
        expected[0]
        if len(expected) == 1
        else "one of:\n" + "\n".join(f"    - {outcome}" for outcome in expected)
    )
    actual = failure.actual + (f" (at {failure.at_ms:.0f} ms)" if failure.at_ms is not None else "")
    lines = [
        f"{case_id} {title}",
        f"  -> {failure.level} [{failure.check}] {failure.requirement}",
        f"  Expected: {expected_text}",
        f"  Actual: {actual}",
    ]
    if failure.detail:
        lines.append(f"  Where: {failure.detail}")
    if failure.measurements:
        measured = ", ".join(f"{key}={value:g}" for key, value in failure.measurements.items())
        lines.append(f"  Measured: {measured}")
    lines.append(f"  Reproduce: {reproduce}")
    return "\n".join(lines)
