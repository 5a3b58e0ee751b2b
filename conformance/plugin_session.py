"""The pytest plugin's working parts, imported only when `pytest conformance` runs: options,
the selection, each process's event loop with its mock, batches, the merged results."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from realtime_conformance.conformance import results as results_io
from realtime_conformance.conformance.cases import Selected
from realtime_conformance.conformance.drivers.connector import ConnectorSpec, connector_spec
from realtime_conformance.conformance.harness import OpenAISide, openai_side
from realtime_conformance.conformance.plugin_keys import OUTPUT, SEED
from realtime_conformance.conformance.reporting.render import write_reports
from realtime_conformance.conformance.reproduce import client_args
from realtime_conformance.conformance.run_command import new_run_id
from realtime_conformance.conformance.run_options import DEFAULT_CONCURRENCY, REPORTS_DIR
from realtime_conformance.conformance.runner import CaseResult, DriverFactory, run_cases
from realtime_conformance.conformance.suite import Plan, UsageError, plan
from realtime_conformance.conformance.verdicts import (
    DeviationsError,
    KnownDeviations,
    load_deviations,
)
from realtime_conformance.mockserver.state import fresh_seed

PLAN = pytest.StashKey[Plan]()
RUN_ID = pytest.StashKey[str]()
STARTED = pytest.StashKey[datetime]()
GROUP = "xdist_group"
STOP_S = 10.0
WAIT_MARGIN_S = 30.0  # beyond a case's own time limit: closing, checks, a busy machine


def _plan(config: pytest.Config) -> Plan:
    if PLAN not in config.stash:
        option = config.option
        config.stash[PLAN] = plan(
            option.conformance_client,
            option.conformance_case,
            strict_cases(config),
            option.conformance_dialect,
            option.conformance_client_cmd,
            connector=_connector(config),
        )
    return config.stash[PLAN]


def _connector(config: pytest.Config) -> ConnectorSpec | None:
    """--connector-cmd or --connector-url with their options (conformance.drivers.connector)."""
    option = config.option
    try:
        return connector_spec(
            option.conformance_connector_cmd, option.conformance_connector_url,
            option.conformance_media_url, option.conformance_capabilities,
            option.conformance_mock_port,
        )  # fmt: skip
    except ValueError as error:  # CapabilitiesError too
        raise UsageError(str(error)) from None


def strict_cases(config: pytest.Config) -> bool:
    """pytest's own `--strict` (the `strict` ini option) adds the SHOULD-level cases."""
    return str(config.getini("strict")).lower() in ("true", "1", "yes")


def _deviations(config: pytest.Config) -> KnownDeviations:
    return load_deviations(config.option.conformance_deviations)


def check_options(config: pytest.Config) -> None:
    """--client, --case, --dialect, --deviations, --seed, --mock-port and the connector's port,
    checked before anything runs."""
    try:
        _plan(config)
        _deviations(config)
        connector = _connector(config)
    except (UsageError, DeviationsError) as error:
        raise pytest.UsageError(str(error)) from None
    if (config.option.conformance_seed or 0) < 0:
        raise pytest.UsageError("--seed must be 0 or more")
    workers = getattr(config.option, "numprocesses", None)  # xdist's -n, resolved by now
    if workers in (None, 0, 1):
        return
    if config.option.conformance_mock_port:
        raise pytest.UsageError(
            f"--mock-port {config.option.conformance_mock_port} with -n {workers}: every worker "
            "would start its mock on that port; run with -n0, or leave --mock-port out"
        )
    if connector is not None and connector.serial:  # conformance.drivers.connector
        raise pytest.UsageError(
            f"{connector.label} with -n {workers}: one connector port (or one running service) "
            "takes one case at a time; run with -n0, or give --media-url a {port}"
        )


def run_seed(config: pytest.Config) -> int:
    """`--seed N`, or a fresh seed: in results.json's run.seed, so any run can be replayed."""
    chosen: int | None = config.option.conformance_seed
    return chosen if chosen is not None else fresh_seed()


def output_dir(config: pytest.Config) -> Path:
    config.stash[RUN_ID], config.stash[STARTED] = new_run_id(), datetime.now(UTC)
    chosen = config.option.conformance_output
    base = Path(config.invocation_params.dir)
    return base / chosen if chosen else base / REPORTS_DIR / config.stash[RUN_ID]


def selection(config: pytest.Config) -> list[Selected]:
    return list(_plan(config).selection)


def deal_into_groups(config: pytest.Config, items: Sequence[Any]) -> None:
    """One xdist_group per worker, longest time limits first to the least loaded group, so
    the workers' batches take about as long."""
    workers = int(config.workerinput["workercount"])  # type: ignore[attr-defined]
    loads = [0.0] * workers
    for item in sorted(items, key=lambda i: -i.selected.case.timeout_s):
        group = loads.index(min(loads))
        loads[group] += item.selected.case.timeout_s
        item.add_marker(pytest.mark.xdist_group(name=f"conformance-{group}"))


def _group(item: Any) -> str | None:
    mark = item.get_closest_marker(GROUP)
    return None if mark is None else str(mark.kwargs.get("name", mark.args[0] if mark.args else ""))


class ProcessSuite:
    """This process's event loop (a background thread) with its mock, and its case runs."""

    def __init__(self, config: pytest.Config) -> None:
        chosen = _plan(config)
        self.factory: DriverFactory = chosen.factory  # one load (and probe) a process
        self.deviations = _deviations(config)
        self.output: Path = config.stash[OUTPUT]
        self.seed = config.stash[SEED]
        self.client_args = client_args(vars(config.option), "conformance_")  # reproduce lines
        connector = _connector(config)
        self.serial = connector is not None and connector.serial  # one case at a time
        self.mock_port: int = config.option.conformance_mock_port
        self.futures: dict[str, concurrent.futures.Future[CaseResult]] = {}
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self._ready: concurrent.futures.Future[OpenAISide] = concurrent.futures.Future()
        self._stopped: asyncio.Event | None = None
        self._serving = asyncio.run_coroutine_threadsafe(self._serve(), self.loop)
        self.side = self._ready.result(timeout=STOP_S)

    async def _serve(self) -> None:
        self._stopped = asyncio.Event()
        try:
            async with openai_side(self.seed, self.mock_port) as side:
                self._ready.set_result(side)
                await self._stopped.wait()
        except BaseException as error:
            if not self._ready.done():
                self._ready.set_exception(error)
            raise

    def _submit(self, items: Sequence[Any]) -> None:
        """Run these items' cases as one batch (conformance.runner.run_cases: ordering cases,
        then the real-time ones together); each item's future settles as its case ends."""
        fresh = [item for item in items if item.name not in self.futures]
        for item in fresh:
            self.futures[item.name] = concurrent.futures.Future()

        def settle(result: CaseResult) -> None:
            self.futures[result.node_id].set_result(result)

        def fail_the_rest(batch: concurrent.futures.Future[list[CaseResult]]) -> None:
            error = batch.exception()
            for item in fresh:
                future = self.futures[item.name]
                if error is not None and not future.done():
                    future.set_exception(error)

        selection = [item.selected for item in fresh]
        concurrency = 1 if self.serial else DEFAULT_CONCURRENCY
        coroutine = run_cases(
            selection, self.side, self.factory, deviations=self.deviations, on_result=settle,
            concurrency=concurrency,
        )  # fmt: skip
        asyncio.run_coroutine_threadsafe(coroutine, self.loop).add_done_callback(fail_the_rest)

    def result(self, item: Any) -> CaseResult:
        """The item's result; the first item of a batch starts the whole batch."""
        if item.name not in self.futures:
            group = _group(item)
            batch = [i for i in item.session.items if hasattr(i, "selected")]
            self._submit([i for i in batch if _group(i) == group] or [item])
        limit = item.selected.case.timeout_s + WAIT_MARGIN_S
        if self.serial:  # the cases before it in its batch run first
            limit *= len(self.futures)
        return self.futures[item.name].result(timeout=limit * 2)

    def record(self, result: CaseResult) -> dict[str, Any]:
        """The case's record for results.json; its recording written now, by this process."""
        results_io.write_recordings(self.output, [result])
        return results_io.case_record(result, self.client_args, self.seed)

    def stop(self) -> None:
        if self._stopped is not None:
            self.loop.call_soon_threadsafe(self._stopped.set)
        try:
            self._serving.result(timeout=STOP_S)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=STOP_S)


def write_run(config: pytest.Config, records: list[dict[str, Any]]) -> Path:
    """The controller's (or the only process's) results.json and junit.xml."""
    chosen = _plan(config)
    workers = int(getattr(config.option, "numprocesses", 0) or 1)
    info = results_io.RunInfo(
        config.stash.get(RUN_ID, new_run_id()), f"{chosen.client_name} ({chosen.client_spec})",
        sorted(chosen.capabilities), list(chosen.dialects), chosen.strict, list(chosen.patterns),
        started_at=config.stash.get(STARTED, datetime.now(UTC)), workers=workers,
        seed=config.stash[SEED],
    )  # fmt: skip
    document = results_io.document(info, records)
    path = results_io.write_results(config.stash[OUTPUT], document)
    write_reports(config.stash[OUTPUT])  # every process has written its recordings by now
    return path


def print_summary(config: pytest.Config, records: list[dict[str, Any]], reporter: Any) -> None:
    reporter.section("realtime-conformance")
    totals = results_io.totals(records)
    reporter.line("  ".join(f"{verdict} {count}" for verdict, count in totals.items() if count))
    reporter.line(f"seed {config.stash[SEED]} (replay: --seed {config.stash[SEED]})")
    output = config.stash[OUTPUT]
    reporter.line(f"results: {output / 'results.json'}")
    reporter.line(f"junit:   {output / 'junit.xml'}")
    reporter.line(f"report:  {output / 'index.html'}")
