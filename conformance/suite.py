"""What both front ends share (`realtime-conformance run` and the pytest plugin): loading the
client's driver factory, choosing the cases, running them against a fresh mock in one loop."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from realtime_conformance.conformance.cases import (
    Selected,
    UnknownCase,
    check_patterns,
    dialects_for,
    load_cases,
)
from realtime_conformance.conformance.cases import select as select_cases
from realtime_conformance.conformance.drivers.base import ClientDriver
from realtime_conformance.conformance.drivers.connector import ConnectorFactory, ConnectorSpec
from realtime_conformance.conformance.harness import openai_side
from realtime_conformance.conformance.run_options import DEFAULT_CONCURRENCY
from realtime_conformance.conformance.runner import CaseResult, DriverFactory, run_cases
from realtime_conformance.conformance.verdicts import KnownDeviations

# The reference client's driver (conformance/drivers/reference.py): the default client.
REFERENCE_CLIENT = "realtime_conformance.conformance.drivers.reference:reference"


class UsageError(ValueError):
    """A command line the suite cannot run: one line that says what is wrong."""


def load_factory(spec: str) -> DriverFactory:
    """`package.module:factory` -> the factory (called once per case for a fresh driver).
    The working directory is importable, as it is for pytest."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise UsageError(f"--client {spec!r}: expected package.module:factory")
    here = str(Path.cwd())
    if here not in sys.path:
        sys.path.insert(0, here)
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise UsageError(f"--client {spec!r}: cannot import {module_name}: {error}") from None
    factory = getattr(module, attribute, None)
    if not callable(factory):
        raise UsageError(f"--client {spec!r}: {module_name} has no callable {attribute!r}")
    return factory  # type: ignore[no-any-return]


def _factory(
    spec: str, client_cmd: str | None, connector: ConnectorSpec | None = None
) -> tuple[DriverFactory, str]:
    """The driver factory and how the run names it: a connector (conformance.drivers.
    connector), a command (one child per case, conformance.drivers.command_client) or a Python
    factory."""
    if connector is not None:
        return ConnectorFactory(connector), connector.label
    if client_cmd is None:
        return load_factory(spec), spec
    from realtime_conformance.conformance.drivers.command_client import CommandClient  # noqa: PLC0415 - as needed

    try:
        return CommandClient(client_cmd), client_cmd
    except ValueError as error:
        raise UsageError(str(error)) from None


def probe(factory: DriverFactory, spec: str) -> ClientDriver:
    """One driver made up front, for its name and capabilities (and to fail early)."""
    try:
        driver = factory()
    except Exception as error:
        raise UsageError(f"--client {spec!r}: the factory raised {error!r}") from None
    if not isinstance(getattr(driver, "capabilities", None), frozenset | set):
        raise UsageError(f"--client {spec!r}: the driver has no `capabilities` set")
    return driver


@dataclass(frozen=True)
class Plan:
    """What a run will do: the client and the (case, dialect) runs chosen."""

    client_spec: str
    factory: DriverFactory
    client_name: str
    capabilities: frozenset[str]
    selection: tuple[Selected, ...]
    patterns: tuple[str, ...]
    dialects: tuple[str, ...]
    strict: bool


def plan(
    client: str | None,
    patterns: Sequence[str],
    strict: bool,
    dialect: str,
    client_cmd: str | None = None,
    *,
    connector: ConnectorSpec | None = None,
) -> Plan:
    """Check the options and choose the cases; UsageError for anything wrong."""
    if client and client_cmd is not None:
        raise UsageError("--client and --client-cmd: give one client under test, not both")
    if connector is not None and (client or client_cmd is not None):
        given = "--client" if client else "--client-cmd"
        raise UsageError(f"{given} and --{connector.label.split()[0]}: give one client under "
                         "test, not both")  # fmt: skip
    spec = client or REFERENCE_CLIENT
    try:
        dialects = dialects_for(dialect)
        cases = load_cases()
        check_patterns(cases, patterns)
    except (ValueError, UnknownCase) as error:
        raise UsageError(str(error)) from None
    factory, spec = _factory(spec, client_cmd, connector)
    driver = probe(factory, spec)
    chosen = select_cases(cases, patterns, strict, dialect)
    name = str(getattr(driver, "name", spec))
    return Plan(
        spec, factory, name, frozenset(driver.capabilities), tuple(chosen), tuple(patterns),
        dialects, strict,
    )  # fmt: skip


async def run_selection(
    selection: Sequence[Selected],
    factory: DriverFactory,
    deviations: KnownDeviations | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_result: Callable[[CaseResult], None] | None = None,
    *,
    seed: int = 0,
    mock_port: int = 0,
) -> list[CaseResult]:
    """The chosen runs against a mock of their own (seeded with `seed`; on `mock_port`, 0: any
    free one), all in this loop."""
    async with openai_side(seed, mock_port) as side:
        return await run_cases(
            selection,
            side,
            factory,
            deviations=deviations,
            concurrency=concurrency,
            on_result=on_result,
        )
