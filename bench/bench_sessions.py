"""Concurrent real-time sessions one mock server process sustains, as a ratio to raw aiohttp.

Run: python bench/bench_sessions.py [--workload text|audio|duplex] [--sessions 50,100,250,...]
                                   [--window 8] [--clients 1] [--keep-going] [--json]

Each of N sessions receives server events paced 20 ms apart for as long as the measurement
lasts: the scenario answers each `response.create` with one turn (a text_response, or an
audio_response in 20 ms chunks) paced at 20 ms, and the client asks for the next turn as soon as
one starts, so the turns of a session follow each other on one unbroken 20 ms grid. Sessions
start spread over one turn, so they are not in phase. The client (`--clients` processes pinned
to the other core) timestamps every event; lateness = receive time - (anchor + k * 20 ms), where
anchor is the session's most punctual event (bench/session_client.py), over a window of
`--window` seconds once every session streams. A step passes when p99 lateness <
`--threshold-ms` and no event due in the window went missing.

The baselines are raw aiohttp servers sending the same events (pre-built from the same scenario),
one every 20 ms per session on absolute deadlines: "raw aiohttp" sends them pre-encoded (the
fair ceiling), "raw same-encoding" calls `send_str(json.dumps(event))` per event. Each server's
ramp stops at its first failing N (unless --keep-going); its figure is the largest N passed
before that, and ratio = N_mock / N_baseline. The mock ramps first; the baseline's ramp starts
at the mock's figure (a raw server passes what the mock passes) to spend the time budget where
the baseline's limit is.

This machine is shared: the window is cut into slices, and only the slices in which other
programs used at most `--max-other` % of either core are measured (bench/windows.py); a step
with less than half of its window clean is run again (up to `--retries` times).
"""

from __future__ import annotations

import argparse
import array
import asyncio
import contextlib
import importlib.util
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from figures import Row, emit, percentile, progress, ratio
from pauses import PAUSES_PREFIX, in_window
from processes import BENCH_DIR, CLIENT_CORE, ServerProcess, pin_to_core
from windows import Slice, clean_intervals, sample_window
from workloads import encode, paced_turn_scenario, write_scenario

CLIENT_SCRIPT = BENCH_DIR / "session_client.py"
SETTLE_S = 0.5  # after the last session's first event, before the window opens
MIN_CLEAN_S = 1.0  # with less clean time than this, the whole window is measured
STEP_TIMEOUT_S = 120.0
# name -> servers.py arguments; "raw aiohttp" is the fair ceiling (pre-encoded frames)
SERVERS = {
    "raw aiohttp": ["raw-paced"],
    "raw same-encoding": ["raw-paced", "--same-encoding"],
    "mock": ["mock"],
    "mock no-transcripts": ["mock", "--no-transcripts"],  # `serve --no-transcripts-in-memory`
}
BASELINES = ("raw aiohttp", "raw same-encoding")


@dataclass
class Client:
    """One session_client.py process, steered by lines on its stdin and stdout."""

    process: asyncio.subprocess.Process
    out: Path

    async def say(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{line}\n".encode())
        await self.process.stdin.drain()

    async def expect(self, word: str) -> list[str]:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), STEP_TIMEOUT_S)
        line = raw.decode().split()
        if not line or line[0] != word:
            raise RuntimeError(f"session client: expected {word!r}, got {raw!r}")
        return line[1:]

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()


async def start_clients(url: str, n: int, args: argparse.Namespace, work: Path) -> list[Client]:
    shares = [n // args.clients + (1 if i < n % args.clients else 0) for i in range(args.clients)]
    clients = []
    for index, share in enumerate(shares):
        out = work / f"client-{index}.lateness"
        command = [sys.executable, str(CLIENT_SCRIPT), "--url", url, "--sessions", str(share)]
        command += ["--pace-ms", str(args.pace_ms), "--spread-s", str(args.turn_s)]
        if args.workload == "duplex":
            command.append("--appends")
        command += ["--cpu", str(CLIENT_CORE), "--out", str(out), "--loop", args.client_loop]
        pipe = asyncio.subprocess.PIPE
        process = await asyncio.create_subprocess_exec(*command, stdin=pipe, stdout=pipe)
        clients.append(Client(process, out))
    return clients


@dataclass(frozen=True)
class Measured:
    late: list[float]  # sorted, seconds
    missing: int
    slices: list[Slice]
    clean_s: float  # how much of the window others left alone (measured, if >= MIN_CLEAN_S)
    start_s: float  # from "go" to the last session's first event
    window: tuple[float, float]

    def mean(self, share: Callable[[Slice], float]) -> float:
        return sum(share(piece) for piece in self.slices) / max(len(self.slices), 1)

    def others(self) -> tuple[float, float]:
        return self.mean(lambda piece: piece.others[0]), self.mean(lambda piece: piece.others[1])


async def drive(server: ServerProcess, clients: list[Client], args: argparse.Namespace) -> Measured:
    for client in clients:
        await client.expect("connected")
    go = time.monotonic()
    for client in clients:
        await client.say("go")
    first = max([float((await client.expect("started"))[0]) for client in clients])
    start, end = first + SETTLE_S, first + SETTLE_S + args.window
    for client in clients:
        await client.say(f"window {start!r} {end!r}")
    pids = [client.process.pid for client in clients]
    slices = await sample_window(server.pid, pids, start, end)
    clean = clean_intervals(slices, args.max_other)
    clean_s = sum(b - a for a, b in clean)
    kept = clean if clean_s >= MIN_CLEAN_S else [(start, end)]  # too little: the whole window
    for client in clients:
        await client.say("keep " + " ".join(f"{a!r} {b!r}" for a, b in kept))
    dones = [dict(f.split("=") for f in await client.expect("done")) for client in clients]
    late = array.array("d")
    for client in clients:
        late.frombytes(client.out.read_bytes())
    missing = sum(int(done["missing"]) for done in dones)
    return Measured(sorted(late), missing, slices, clean_s, first - go, (start, end))


def summarize(measured: Measured, threshold_ms: float) -> Row:
    late, missing = measured.late, measured.missing
    p99 = math.inf if missing > len(late) / 100 else percentile(late, 0.99)
    return {
        "events": len(late),
        "missing": missing,
        "p50 ms": 1000 * percentile(late, 0.5),
        "p99 ms": 1000 * p99,
        "max ms": math.inf if missing else 1000 * late[-1],
        "pass": bool(late) and missing == 0 and 1000 * p99 < threshold_ms,
        "clean s": measured.clean_s,
        "server cpu %": 100 * measured.mean(lambda piece: piece.server_cpu),
        "client cpu %": 100 * measured.mean(lambda piece: piece.client_cpu),
        "others % (core 0, 1)": [round(100 * share) for share in measured.others()],
        "start s": measured.start_s,
    }


@contextlib.contextmanager
def started_server(kind: str, n: int, args: argparse.Namespace) -> Iterator[ServerProcess]:
    """`kind` is a SERVERS name, or `mock@PATH`: the mock of the source tree at PATH."""
    name, _, tree = kind.partition("@")
    server_args = [*SERVERS[name], "--scenarios-dir", str(args.scenarios)]
    if args.profile is not None and name.startswith("mock"):
        server_args += ["--profile", str(args.profile / f"mock-{args.workload}-{n}.prof")]
    server = ServerProcess([*server_args, "--pace-ms", str(args.pace_ms)])
    saved = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = tree or saved
    try:
        server.start()
    finally:
        os.environ["PYTHONPATH"] = saved
    try:
        yield server
    finally:
        server.stop()


async def step_once(kind: str, n: int, args: argparse.Namespace) -> Row:
    with (
        tempfile.TemporaryDirectory(prefix="bench-sessions-") as tmp,
        started_server(kind, n, args) as server,
    ):
        clients = await start_clients(server.url(), n, args, Path(tmp))
        try:
            measured = await asyncio.wait_for(drive(server, clients, args), STEP_TIMEOUT_S)
        finally:
            await asyncio.gather(*(client.stop() for client in clients))
        rss = server.peak_rss_mb()
        pauses = server_pauses(server.stop(), *measured.window)
        row = {"server": kind, "sessions": n, **summarize(measured, args.threshold_ms)}
        row["server ms/session-s"] = 10 * row["server cpu %"] / n  # CPU per second of a session
        return {**row, "server rss MB": rss, **pauses}


def server_pauses(output: str, start: float, end: float) -> Row:
    """The server's garbage-collector passes and loop stalls in the window (bench/pauses.py)."""
    for line in output.splitlines():
        if line.startswith(PAUSES_PREFIX):
            return in_window(json.loads(line[len(PAUSES_PREFIX) :]), start, end)
    return {}


def noisy(row: Row, window_s: float) -> bool:
    """Others disturbed more than half of the window."""
    return bool(row["clean s"] < window_s / 2)


async def step(kind: str, n: int, args: argparse.Namespace) -> Row:
    """One N, run again while other programs loaded the cores too much (up to --retries)."""
    for tries in range(1, args.retries + 2):
        row = await step_once(kind, n, args)
        row["tries"] = tries
        if not noisy(row, args.window):
            break
        progress(f"  {kind} N={n}: others used {row['others % (core 0, 1)']} % of the cores")
    return row


def describe(row: Row) -> str:
    verdict = "pass" if row["pass"] else "FAIL"
    return (
        f"  {row['server']} N={row['sessions']}: p50 {row['p50 ms']:.2f} ms, "
        f"p99 {row['p99 ms']:.2f} ms, max {row['max ms']:.1f} ms, "
        f"server cpu {row['server cpu %']:.0f}% ({row['server ms/session-s']:.2f} ms/session-s), "
        f"client cpu {row['client cpu %']:.0f}%, "
        f"others {row['others % (core 0, 1)']}%, clean {row['clean s']:.1f} s, "
        f"gc2 {row.get('gc2 n')} (max {row.get('gc2 max ms', 0):.1f} ms, "
        f"cpu {row.get('gc2 cpu ms', 0):.1f} ms, "
        f"{row.get('gen2 objects')} objects), "
        f"stalls {row.get('stalls')} (max {row.get('stall max ms', 0):.1f} ms), {verdict}"
    )


async def ramp(
    kind: str, sessions: list[int], args: argparse.Namespace, deadline: float
) -> list[Row]:
    rows: list[Row] = []
    for n in sessions:
        begun = time.monotonic()
        rows.append(await step(kind, n, args))
        progress(describe(rows[-1]))
        if not rows[-1]["pass"] and not args.keep_going:
            break
        if time.monotonic() + (time.monotonic() - begun) > deadline and n != sessions[-1]:
            progress(f"  {kind}: the ramp stops here, out of its time budget")
            break
    return rows


def largest_passing(rows: list[Row]) -> int:
    """The largest N that passed before the first failure."""
    best = 0
    for row in rows:
        if not row["pass"]:
            break
        best = row["sessions"]
    return best


def default_client_loop() -> str:
    return "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"


def build_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    add = parser.add_argument
    add("--workload", choices=["text", "audio", "duplex"], default="text")
    add("--sessions", type=lambda text: [int(n) for n in text.split(",")],
        default=[50, 100, 150, 200, 250, 350, 500, 750, 1000, 1500],
        help="the N to ramp through")  # fmt: skip
    add("--window", type=float, default=8.0, help="measurement window, seconds")
    add("--pace-ms", type=int, default=20)
    add("--turn-ms", type=int, default=1000, help="audio in one reply, ms")
    add("--threshold-ms", type=float, default=10.0, help="p99 lateness limit")
    add("--clients", type=int, default=1, help="client processes (all on core 1)")
    add("--client-loop", choices=["asyncio", "uvloop"], default=default_client_loop(),
        help="the clients' loop (uvloop, if installed, halves their CPU)")  # fmt: skip
    add("--servers", default="mock,raw aiohttp,raw same-encoding",
        help="which servers to ramp, in order (raw aiohttp: pre-encoded, the ceiling)")  # fmt: skip
    add("--keep-going", action="store_true", help="ramp on past a failure")
    add("--max-other", type=float, default=20.0, help="%% of a core others may use in a step")
    add("--retries", type=int, default=1, help="runs again of a step others disturbed")
    add("--budget", type=float, default=170.0, help="seconds; no step starts past it")
    add("--json", action="store_true", help="print the results as JSON")
    add("--profile", type=Path, help="directory: the mock's cProfile stats per step")
    return parser


def parse_args() -> argparse.Namespace:
    return build_parser(__doc__.split("\n\n")[0]).parse_args()


def prepare(args: argparse.Namespace, work: Path) -> None:
    """Write the scenario; one turn's length is the spread of the sessions' starts."""
    scenario = paced_turn_scenario(args.workload, args.pace_ms, args.turn_ms)
    args.scenarios = work / "scenarios"
    turn = write_scenario(args.scenarios, scenario)[1]
    args.turn_s = len(turn) * args.pace_ms / 1000
    largest = max(len(encode(event)) for event in turn)
    progress(f"paced sessions: {args.workload} turns of {len(turn)} events (at most {largest}")
    progress(f"bytes), one every {args.pace_ms} ms; window {args.window} s")


async def main_async(args: argparse.Namespace) -> None:
    deadline = time.monotonic() + args.budget
    with tempfile.TemporaryDirectory(prefix="bench-sessions-") as tmp:
        prepare(args, Path(tmp))
        rows: dict[str, list[Row]] = {}
        for kind in args.servers.split(","):
            # A baseline's ramp starts at the largest N the mock passed: a baseline passes
            # what the mock passes, and time goes to the part of the ramp that tells.
            floor = largest_passing(rows["mock"]) if "mock" in rows else 0
            sessions = [n for n in args.sessions if n >= floor] or args.sessions[-1:]
            rows[kind] = await ramp(kind, sessions, args, deadline)
    best = {kind: largest_passing(kind_rows) for kind, kind_rows in rows.items()}
    summary: dict[str, object] = {f"largest N {kind}": n for kind, n in best.items()}
    for kind, kind_rows in rows.items():
        if all(row["pass"] for row in kind_rows):  # the ramp ended before the server did
            summary[f"largest N {kind}"] = f">= {best[kind]} (no failure in the ramp)"
    for baseline in BASELINES:
        if "mock" in best and baseline in best:
            summary[f"ratio mock / {baseline}"] = ratio(best["mock"], best[baseline])
    table = [row for kind_rows in rows.values() for row in kind_rows]
    columns = ["server", "sessions", "events", "missing", "p50 ms", "p99 ms", "max ms", "pass"]
    columns += ["clean s", "server cpu %", "server ms/session-s", "client cpu %"]
    columns += ["others % (core 0, 1)", "tries"]
    columns += ["start s"]
    columns += ["server rss MB", "gc2 n", "gc2 max ms", "gc2 cpu ms", "gen2 objects"]
    columns += ["gc max ms", "gc cpu ms/s", "stalls", "stall max ms"]
    emit("sessions", {f"paced sessions ({args.workload})": (table, columns)}, summary, args.json)


def main() -> None:
    args = parse_args()
    pin_to_core(CLIENT_CORE)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
