"""The conformance run's own speed: its wall time against its longest case (issue 13, item 5).

Run: python bench/bench_suite.py [--case PATTERN ...] [--pytest] [--json]

Runs the suite against the reference client the way a user does, `realtime-conformance run`
(the mock and the virtual call on loopback, cases `--concurrency` at once), in a subprocess, and
reads its results.json:

  wall s        the command's wall time, start to exit (process start and imports included)
  longest s     the longest case's own duration (its `duration_ms`: mostly real time, the
                cases play real-time calls), and which case
  wall/longest  the figure of the target: at most 1.5 means the suite costs little more than
                its longest case, i.e. the cases overlap and the harness is not the bottleneck
  sum s         the cases' durations added up: what a one-at-a-time run would take

`--pytest` does the same for `pytest conformance -n auto` (pytest-xdist; the longest case from
its JUnit XML). Nothing is pinned: the suite is meant to use every core.
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

from figures import Row, emit, progress, ratio

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


def cli_run(cases: list[str], work: Path) -> Row:
    output = work / "cli"
    command = [
        sys.executable,
        "-m",
        "realtime_conformance.conformance.cli",
        "run",
        "--output",
        str(output),
    ]
    command += [arg for case in cases for arg in ("--case", case)]
    wall = timed(command)
    results: dict[str, Any] = json.loads((output / "results.json").read_text(encoding="utf-8"))
    durations = {
        f"{case['id']}[{case['dialect']}]": float(case["duration_ms"]) / 1000
        for case in results["cases"]
    }
    return figures("realtime-conformance run", wall, durations)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", action="append", default=[], help="case ids (fnmatch)")
    parser.add_argument("--pytest", action="store_true", help="also pytest conformance -n auto")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as tmp:
        rows = [cli_run(args.case, Path(tmp))]
        if args.pytest:
            rows.append(pytest_run(args.case, Path(tmp)))
    summary = {f"wall/longest {row['run']}": row["wall/longest"] for row in rows}
    emit("suite", {"suite": (rows, list(rows[0]))}, summary, args.json)


if __name__ == "__main__":
    main()
