"""`realtime-conformance run`: the suite against one client, with progress, a summary table,
and results.json + junit.xml (+ each case's recording) in reports/<run-id>/ or --output.

Exit status: 0 when no MUST-level case failed, 1 when one did, 2 for a usage error (one line,
no traceback).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import secrets
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TextIO

from realtime_conformance.conformance import results as results_io
from realtime_conformance.conformance.drivers.connector import (
    ConnectorSpec,
    ServiceClient,
    connector_spec,
)
from realtime_conformance.conformance.reporting.render import write_reports
from realtime_conformance.conformance.reproduce import client_args
from realtime_conformance.conformance.run_options import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    REPORTS_DIR,
)
from realtime_conformance.conformance.runner import CaseResult
from realtime_conformance.conformance.split_run import run_split
from realtime_conformance.conformance.suite import Plan, UsageError, plan
from realtime_conformance.conformance.verdicts import (
    DeviationsError,
    KnownDeviations,
    Verdict,
    load_deviations,
)
from realtime_conformance.mockserver.state import fresh_seed


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


class Progress:
    """Cases done / total and failures so far: one line per case when not on a terminal, one
    rewritten status line on a terminal (failures still get their own line)."""

    def __init__(self, total: int, out: TextIO) -> None:
        self.total, self.out, self.done, self.failed = total, out, 0, 0
        self.tty = out.isatty()

    def __call__(self, result: CaseResult) -> None:
        self.done += 1
        self.failed += result.verdict is Verdict.FAIL
        line = (
            f"[{self.done:>{len(str(self.total))}}/{self.total}] {result.verdict.value:<15} "
            f"{result.node_id} {result.case.title} ({result.duration_ms / 1000:.1f} s)"
        )
        if not self.tty:
            print(line, file=self.out, flush=True)
            return
        if result.verdict is Verdict.FAIL:
            print(f"\r\x1b[2K{line}", file=self.out)
        status = f"{self.done}/{self.total} done, {self.failed} failed"
        print(f"\r\x1b[2K{status}", end="", file=self.out, flush=True)

    def finish(self) -> None:
        if self.tty:
            print(file=self.out)


def summary(records: Sequence[dict[str, object]], out: TextIO) -> None:
    """Totals per verdict, then every case run that is not a PASS with why."""
    totals = results_io.totals(records)
    width = max(len(v.value) for v in Verdict)
    print("\nverdict" + " " * (width - 6) + "cases", file=out)
    for verdict, count in totals.items():
        print(f"{verdict:<{width}} {count:>5}", file=out)
    print(f"{'total':<{width}} {len(records):>5}", file=out)
    shown = [r for r in records if r["verdict"] != Verdict.PASS.value]
    if shown:
        print(file=out)
    for record in shown:
        why = record["reason"] or _first_actual(record)
        print(f"{record['verdict']:<{width}} {record['node_id']:<12} {why}", file=out)


LAG_NOTED_MS = 50  # a media failure with the harness this late is worth a second look


def _first_actual(record: dict[str, object]) -> str:
    failures = record.get("failures")
    if not isinstance(failures, list) or not failures:
        return ""
    first = failures[0]
    text = f"[{first['check']}] {first['actual']}"[:200]
    measured = record.get("measurements")
    lag = measured.get("harness.max_loop_lag_ms", 0.0) if isinstance(measured, dict) else 0.0
    if first.get("concern") == "media" and lag >= LAG_NOTED_MS:
        text += f" (the harness's own loop lagged up to {lag:.0f} ms: a busy machine?)"
    return text


def _list(chosen: Plan, out: TextIO) -> int:
    driver = chosen.factory()
    for selected in chosen.selection:
        case = selected.case
        why = case.unrunnable
        if not why and isinstance(driver, ServiceClient):  # a connector's refusals
            why = driver.refusal(case, selected.dialect)
        note = f"  (UNIMPLEMENTED: {why})" if why else ""
        print(
            f"{selected.node_id:<12} {case.level:<6} {case.timing:<8} {case.title}{note}", file=out
        )
    return EXIT_OK


def _connector(args: argparse.Namespace) -> ConnectorSpec | None:
    """The connector the options name (conformance.drivers.connector), or None."""
    try:
        return connector_spec(
            args.connector_cmd, args.connector_url, args.media_url, args.capabilities,
            args.mock_port,
        )  # fmt: skip
    except ValueError as error:  # CapabilitiesError too
        raise UsageError(str(error)) from None


def _run_cases(
    chosen: Plan,
    deviations: KnownDeviations,
    concurrency: int,
    progress: Progress,
    *,
    seed: int,
    mock_port: int,
) -> list[CaseResult]:
    """The cases, the ordering ones in a child process when they can be (conformance.
    split_run). What start-up built (modules, the catalogue, schemas) lives as long as the run:
    frozen out of the collector's way, a full pass during the calls walks only what the cases
    made (57-194 ms passes with a stopped loop became about 25 ms)."""
    gc.collect()
    gc.freeze()
    try:
        coroutine = run_split(
            chosen.selection, chosen.factory, deviations, concurrency, progress, seed=seed,
            mock_port=mock_port,
        )  # fmt: skip
        return asyncio.run(coroutine)
    finally:
        gc.unfreeze()  # a process that goes on (tests, an embedding program) collects it again


def run_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        connector = _connector(args)
        chosen = plan(
            args.client, args.case, args.strict, args.dialect, args.client_cmd, connector=connector
        )
        deviations = load_deviations(args.deviations)
        if args.concurrency < 1:
            raise UsageError("--concurrency must be at least 1")
    except (UsageError, DeviationsError) as error:
        print(f"realtime-conformance run: {error}", file=err)
        return EXIT_USAGE
    if args.list:
        return _list(chosen, out)
    # One at a time: a connector on one port, or one running service (conformance.harness)
    concurrency = 1 if connector is not None and connector.serial else args.concurrency
    run_id = new_run_id()
    seed = args.seed if args.seed is not None else fresh_seed()
    info = results_io.RunInfo(
        run_id, f"{chosen.client_name} ({chosen.client_spec})", sorted(chosen.capabilities),
        list(chosen.dialects), chosen.strict, list(chosen.patterns), seed=seed,
    )  # fmt: skip
    print(f"run {run_id}: {len(chosen.selection)} case runs, client {info.client}", file=out)
    print(f"seed {seed} (replay: --seed {seed})", file=out)
    if problem := getattr(chosen.factory, "probe_problem", None):  # --client-cmd's first start
        print(f"the client command did not start well (every case will fail): {problem}", file=out)
    progress = Progress(len(chosen.selection), out)
    started = time.monotonic()
    done = _run_cases(
        chosen, deviations, concurrency, progress, seed=seed, mock_port=args.mock_port
    )
    progress.finish()
    args_given = client_args(vars(args))
    records = [results_io.case_record(result, args_given, seed) for result in done]
    document = results_io.document(info, records)
    directory = args.output or REPORTS_DIR / run_id
    path = results_io.write_results(directory, document)
    results_io.write_recordings(directory, done)
    held = {result.node_id: result.recording for result in done}
    index = write_reports(directory, held)  # HTML, ctrf.json; coverage into results.json
    summary(document["cases"], out)
    print(f"\n{len(done)} case runs in {time.monotonic() - started:.1f} s", file=out)
    print(f"results: {path}\njunit:   {directory / 'junit.xml'}\nreport:  {index}", file=out)
    return EXIT_FAILED if not document["passed"] else EXIT_OK
