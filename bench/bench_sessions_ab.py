"""A paired A/B of paced sessions: the mock of two (or more) source trees at one N, alternated.

Run: python bench/bench_sessions_ab.py --tree before=/path/to/old/checkout --tree after=.
                                       [--workload duplex] [--sessions 50] [--rounds 3]

Each round runs every tree once at each N (a fresh server each time, the same client and
scenario as bench_sessions.py), so the trees see the same load from other programs. What noise
disturbs least is compared: the server's CPU time per second of a session, and the garbage
collector's full passes (CPU time); lateness (p99) and loop stalls are shown too. The other
knobs are bench_sessions.py's (`--window`, `--pace-ms`, ...). A tree is run with PYTHONPATH
set to it, so it must have the mock's `running_server` as bench/servers.py uses it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
from pathlib import Path

from bench_sessions import build_parser, describe, prepare, step_once
from figures import Row, emit, progress
from processes import CLIENT_CORE, pin_to_core

COMPARED = ("server ms/session-s", "p99 ms", "gc2 cpu ms", "stalls", "server rss MB")


def parse_args() -> argparse.Namespace:
    parser = build_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--tree", action="append", required=True, help="NAME=PATH, repeated")
    parser.add_argument("--rounds", type=int, default=3)
    parser.set_defaults(sessions=[50], window=4.0)
    return parser.parse_args()


async def main_async(args: argparse.Namespace) -> None:
    trees = dict(tree.split("=", 1) for tree in args.tree)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-sessions-ab-") as tmp:
        prepare(args, Path(tmp))
        for round_index in range(args.rounds):
            for n in args.sessions:
                for name, path in trees.items():
                    row = await step_once(f"mock@{Path(path).resolve()}", n, args)
                    rows.append({**row, "server": name, "round": round_index + 1})
                    progress(describe(rows[-1]))
    summary: dict[str, object] = {}
    for n in args.sessions:
        for name in trees:
            mine = [row for row in rows if row["server"] == name and row["sessions"] == n]
            for key in COMPARED:
                values = [row[key] for row in mine if key in row]
                if values:
                    summary[f"N={n} {name} median {key}"] = statistics.median(values)
    columns = ["server", "round", "sessions", "p50 ms", "p99 ms", "max ms", "pass", "clean s"]
    columns += ["server cpu %", "server ms/session-s", "others % (core 0, 1)", "gc2 n"]
    columns += ["gc2 cpu ms", "gen2 objects", "stalls", "stall max ms", "server rss MB"]
    title = f"paced sessions A/B ({args.workload})"
    emit("sessions A/B", {title: (rows, columns)}, summary, args.json)


def main() -> None:
    args = parse_args()
    pin_to_core(CLIENT_CORE)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
