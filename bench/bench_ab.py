"""A paired A/B of the mock's unpaced cost: two checkouts of the project, alternated.

Run: python bench/bench_ab.py --tree before=/path/to/old/checkout --tree after=. [--rounds 3]

On a shared machine the rates of two separate benchmark runs differ by more than most changes
do. This alternates the trees (each round: every tree, every dialect; a fresh server process per
cell, one warm-up run then `--runs` timed runs) so that both see the same load, and reports per
tree and dialect the medians of:

  server us/event   the server process's CPU time per event (steadier than the rates)
  events/s          as in bench_throughput.py (response.create -> response.done)
  first ms          response.create -> first event

The workload is bench_throughput.py's (one text response of `--deltas` deltas, unpaced). Each
tree runs this checkout's bench/servers.py with PYTHONPATH set to the tree, so the tree must
have the mock's `running_server` as servers.py uses it (any tree since the benchmarks exist).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

from bench_throughput import BETA_HEADERS, GA_HEADERS, Run, one_run, use_uvloop
from figures import Row, emit, median, progress
from processes import CLIENT_CORE, ServerProcess, pin_to_core
from workloads import long_text_scenario, write_scenario

DIALECTS = {"GA": GA_HEADERS, "beta": BETA_HEADERS}


def cell(scenarios: Path, tree: Path, headers: dict[str, str], runs: int) -> list[Run]:
    """One fresh server of `tree`: a warm-up run, then `runs` timed ones."""
    os.environ["PYTHONPATH"] = str(tree)
    with ServerProcess(["mock", "--scenarios-dir", str(scenarios)]) as server:
        asyncio.run(one_run(server, dict(headers)))
        return [asyncio.run(one_run(server, dict(headers))) for _ in range(runs)]


def row(tree: str, dialect: str, runs: list[Run]) -> Row:
    return {
        "tree": tree,
        "dialect": dialect,
        "server us/event": median([run.server_us_per_event for run in runs]),
        "events/s": median([run.rate for run in runs]),
        "first ms": median([run.first_s * 1000 for run in runs]),
        "runs": len(runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", action="append", required=True, help="NAME=PATH (repeat)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=2, help="timed runs per cell")
    parser.add_argument("--deltas", type=int, default=50_000)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    trees = {name: Path(path).resolve() for name, path in (t.split("=", 1) for t in args.tree)}
    pin_to_core(CLIENT_CORE)
    use_uvloop()
    results: dict[tuple[str, str], list[Run]] = {(t, d): [] for t in trees for d in DIALECTS}
    with tempfile.TemporaryDirectory(prefix="bench-ab-") as tmp:
        scenarios = Path(tmp) / "scenarios"
        write_scenario(scenarios, long_text_scenario(args.deltas))
        for number in range(args.rounds):
            for name, tree in trees.items():
                for dialect, headers in DIALECTS.items():
                    runs = cell(scenarios, tree, headers, args.runs)
                    results[(name, dialect)] += runs
                    costs = ", ".join(f"{run.server_us_per_event:.1f}" for run in runs)
                    progress(f"  round {number + 1} {name} {dialect}: {costs} us/event")
    rows = [row(tree, dialect, runs) for (tree, dialect), runs in results.items()]
    summary = {f"{r['tree']} {r['dialect']} us/event": r["server us/event"] for r in rows}
    emit("a/b", {"paired A/B": (rows, list(rows[0]))}, summary, args.json)


if __name__ == "__main__":
    main()
