"""The conformance run's own speed: its wall time against its longest case (issue 13, item 5).

Run: python bench/bench_suite.py [--runs N] [--before] [--pytest] [--case PATTERN ...] [--json]

Runs the suite against the reference client the way a user does, `realtime-conformance run`
(the mock and the virtual call on loopback, cases `--concurrency` at once), in a subprocess, and
reads its results.json:

  wall s        the command's wall time, start to exit (process start and imports included)
  longest s     the longest case's own duration (its `duration_ms`: mostly real time, the
                cases play real-time calls), and which case
  wall/longest  the figure of the target: at most 1.5 means the suite costs little more than
                its longest case, i.e. the cases overlap and the harness is not the bottleneck
  sum s         the cases' durations added up: what a one-at-a-time run would take
  reruns        case runs run again alone because the harness was late near a media-timing
                failure (conformance.rerun): the media checks' reliability; each costs its
                case's length after the crowd
  lag ms        the real-time cases' median of their worst loop lag (harness.max_loop_lag_ms)
  verdicts      PASS/UNIMPLEMENTED/FAIL counts (the same on every run: nothing weakened)

Each command runs `--runs` times (default 3); the table has every run and the median row.
`--before` also runs bench/suite_before.py: the same tree with the one-process, selection-order
schedule, interleaved with the current one (before, after, before, after...), so both see
the same load. `--pytest` does the same for `pytest conformance -n auto` (pytest-xdist; the
longest case from its JUnit XML; no reruns or lag there). Nothing is pinned: the suite is
meant to use every core.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from figures import Row, emit, median, progress, ratio

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.5  # issue 13: the suite's wall time at most 1.5 times its longest case


def timed(command: list[str]) -> float:
    """Run `command` from the project's root; its wall time (its output goes to stderr)."""
    progress("$ " + " ".join(command))
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, stdout=sys.stderr, check=False)
    return time.perf_counter() - started


def figures(name: str, wall_s: float, durations: dict[str, float]) -> Row:
    longest = max(durations, key=durations.__getitem__, default="")
    longest_s = durations.get(longest, 0.0)
    return {
        "run": name,
        "cases": len(durations),
        "wall s": wall_s,
        "longest s": longest_s,
        "longest case": longest,
        "wall/longest": ratio(wall_s, longest_s),
        "sum s": sum(durations.values()),
        "meets 1.5": wall_s <= TARGET * longest_s,
    }


def cli_run(name: str, entry: list[str], cases: list[str], work: Path) -> Row:
    output = work / f"cli-{time.monotonic_ns()}"
    command = [sys.executable, *entry, "run", "--output", str(output)]
    command += [arg for case in cases for arg in ("--case", case)]
    wall = timed(command)
    results: dict[str, Any] = json.loads((output / "results.json").read_text(encoding="utf-8"))
    records = results["cases"]
    durations = {r["node_id"]: float(r["duration_ms"]) / 1000 for r in records}
    row = figures(name, wall, durations)
    measured = [r["measurements"] for r in records if r["timing"] == "realtime"]
    row["reruns"] = sum(int(m.get("harness.reruns", 0)) for m in measured)
    row["lag ms"] = median([float(m.get("harness.max_loop_lag_ms", 0.0)) for m in measured])
    totals = results["totals"]
    row["verdicts"] = "/".join(str(totals.get(v, 0)) for v in ("PASS", "UNIMPLEMENTED", "FAIL"))
    return row


CLI = ["-m", "realtime_conformance.conformance.cli"]
BEFORE = [str(ROOT / "bench" / "suite_before.py")]


def pytest_run(cases: list[str], work: Path) -> Row:
    junit = work / "junit.xml"
    command = [sys.executable, "-m", "pytest", "conformance", "-n", "auto", "-q"]
    command += ["-p", "no:cacheprovider", f"--junitxml={junit}", "--output", str(work / "pytest")]
    command += [arg for case in cases for arg in ("--case", case)]
    wall = timed(command)
    tree = ET.parse(junit)
    durations = {
        str(case.get("name")): float(case.get("time", "0")) for case in tree.iter("testcase")
    }
    return figures("pytest conformance -n auto", wall, durations)


def with_medians(rows: list[Row]) -> list[Row]:
    """Every run, then per command a median row (each column's median, its own runs)."""
    out: list[Row] = []
    for name in dict.fromkeys(row["run"] for row in rows):
        runs = [row for row in rows if row["run"] == name]
        middle: Row = {"run": f"{name} (median of {len(runs)})"}  # of ratios, not their ratio
        for key in ("wall s", "longest s", "wall/longest", "sum s", "reruns", "lag ms"):
            if key in runs[0]:
                middle[key] = median([float(row[key]) for row in runs])
        middle["meets 1.5"] = middle["wall/longest"] <= TARGET
        out += [*runs, middle]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", action="append", default=[], help="case ids (fnmatch)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each command (median)")
    parser.add_argument("--before", action="store_true", help="also the old schedule")
    parser.add_argument("--pytest", action="store_true", help="also pytest conformance -n auto")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as tmp:
        for _ in range(args.runs):
            if args.before:
                rows.append(cli_run("run, before", BEFORE, args.case, Path(tmp)))
            rows.append(cli_run("realtime-conformance run", CLI, args.case, Path(tmp)))
        for _ in range(args.runs if args.pytest else 0):
            rows.append(pytest_run(args.case, Path(tmp)))
    rows = with_medians(rows)
    columns = list(dict.fromkeys(key for row in rows for key in row))
    summary = {f"wall/longest {r['run']}": r["wall/longest"] for r in rows if "median" in r["run"]}
    emit("suite", {"suite": (rows, columns)}, summary, args.json)


if __name__ == "__main__":
    main()
