"""The load client of bench_sessions.py: one process holding N WebSocket sessions.

Run by bench_sessions.py (`python bench/session_client.py --url ... --sessions N --out FILE`),
which steers it with lines on stdin; it answers on stdout:

  -> connected                 every session is open and has its first event (session.created)
  <- go                        each session sends response.create, and another one whenever a
                               reply starts (response.created), so a reply is always queued;
                               the first ones are spread evenly over `--spread-s` (one reply's
                               length), so sessions are neither in phase nor start their
                               replies all at once (as independent calls do not)
  -> started T                 every session has received its first reply event by time T
  <- window START END          the measurement window (time.monotonic seconds, the same clock
                               in every process); events go on being timestamped until
                               LATE_LIMIT_S after END, then every session is closed
  <- keep A1 B1 A2 B2 ...      measure the events due in [A1, B1), [A2, B2), ... (the parts of
                               the window other programs left alone)
  -> done events=E missing=M   lateness values written to FILE (array of doubles, seconds)

Event k of a session (counted from its first reply event) is due at anchor + k * pace, where
the anchor is the session's most punctual event: min over k of (receive time - k * pace). So
lateness = receive time - due is never negative, and a late first event cannot hide the lateness
of the rest (the mock sends a reply's first event only after building the whole reply). An event
due in the window that has not arrived LATE_LIMIT_S after the window is counted missing.
"""

from __future__ import annotations

import argparse
import array
import asyncio
import itertools
import math
import sys
import time
from pathlib import Path

import aiohttp
from processes import CLIENT_CORE, pin_to_core, raise_open_files_limit
from workloads import APPEND_20MS, CREATED_PREFIX, RESPONSE_CREATE

HEADERS = {"Authorization": "Bearer sk-bench"}
CONNECT_CONCURRENCY = 50  # below the server's listen backlog (128)
PHASE_TIMEOUT_S = 120.0
LATE_LIMIT_S = 1.0
POLL_S = 0.01


async def command() -> str:
    line: str = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    if not line:
        raise SystemExit("the benchmark went away")
    return line.strip()


def say(line: str) -> None:
    print(line, flush=True)


Socket = aiohttp.ClientWebSocketResponse


async def connect_all(http: aiohttp.ClientSession, url: str, count: int) -> list[Socket]:
    """`count` sessions, each past its greeting (session.created); a few opening at a time."""
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def connect() -> Socket:
        async with gate:
            ws = await http.ws_connect(url, headers=HEADERS, max_msg_size=0)
            await ws.receive()
            return ws

    return list(await asyncio.gather(*(connect() for _ in range(count))))


async def follow(ws: Socket, times: list[float], phase_s: float) -> None:
    """After `phase_s`, timestamp every event; ask for the next reply as soon as one starts."""
    await asyncio.sleep(phase_s)
    await ws.send_str(RESPONSE_CREATE)
    async for message in ws:
        times.append(time.monotonic())
        if message.type is aiohttp.WSMsgType.TEXT and message.data.startswith(CREATED_PREFIX):
            await ws.send_str(RESPONSE_CREATE)


async def append_audio(ws: Socket, phase_s: float, pace_s: float) -> None:
    """The caller's side of a call: 20 ms of input audio every 20 ms, on absolute deadlines."""
    await asyncio.sleep(phase_s)
    start = time.monotonic()
    for k in itertools.count():
        await until(start + k * pace_s)
        await ws.send_str(APPEND_20MS)


async def until(moment: float) -> None:
    await asyncio.sleep(max(moment - time.monotonic(), 0))


async def all_started(timelines: list[list[float]]) -> float:
    while not all(timelines):
        await asyncio.sleep(POLL_S)
    return max(times[0] for times in timelines)


Intervals = list[tuple[float, float]]


def lateness(times: list[float], pace_s: float, keep: Intervals) -> tuple[list[float], int]:
    """Lateness of the events due in the `keep` intervals, and how many of them never came."""
    anchor = min(t - k * pace_s for k, t in enumerate(times))
    values: list[float] = []
    missing = 0
    for start, end in keep:
        k_from = max(math.ceil((start - anchor) / pace_s), 0)
        k_to = max(math.ceil((end - anchor) / pace_s), 0)
        ks = range(k_from, min(k_to, len(times)))
        values += [times[k] - (anchor + k * pace_s) for k in ks]
        missing += max(k_to - max(k_from, len(times)), 0)
    return values, missing


def parse_intervals(words: list[str]) -> Intervals:
    bounds = [float(word) for word in words]
    return list(zip(bounds[::2], bounds[1::2], strict=True))


async def stream(args: argparse.Namespace, http: aiohttp.ClientSession) -> list[list[float]]:
    """Run every session through the window (and LATE_LIMIT_S after): their receive times."""
    sockets = await asyncio.wait_for(connect_all(http, args.url, args.sessions), PHASE_TIMEOUT_S)
    say("connected")
    await command()
    timelines: list[list[float]] = [[] for _ in sockets]
    phases = [index * args.spread_s / len(sockets) for index in range(len(sockets))]
    tasks = [
        asyncio.create_task(follow(ws, times, phase))
        for ws, times, phase in zip(sockets, timelines, phases, strict=True)
    ]
    if args.appends:
        pace_s = args.pace_ms / 1000
        tasks += [
            asyncio.create_task(append_audio(ws, phase, pace_s))
            for ws, phase in zip(sockets, phases, strict=True)
        ]
    say(f"started {await asyncio.wait_for(all_started(timelines), PHASE_TIMEOUT_S)!r}")
    end = float((await command()).split()[2])
    await until(end + LATE_LIMIT_S)
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    for task in tasks:
        task.cancel()
    return timelines


async def run(args: argparse.Namespace) -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        timelines = await stream(args, http)
    keep = parse_intervals((await command()).split()[1:])
    values, missing = array.array("d"), 0
    for times in timelines:
        late, lost = lateness(times, args.pace_ms / 1000, keep)
        values.extend(late)
        missing += lost
    with Path(args.out).open("wb") as out:
        values.tofile(out)
    say(f"done events={len(values)} missing={missing}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--sessions", type=int, required=True)
    parser.add_argument("--pace-ms", type=int, default=20)
    parser.add_argument("--spread-s", type=float, default=1.0, help="first requests spread")
    parser.add_argument("--cpu", type=int, default=CLIENT_CORE)
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--appends", action="store_true", help="append input audio every pace")
    args = parser.parse_args()
    pin_to_core(args.cpu)
    raise_open_files_limit()
    if args.loop == "uvloop":
        import uvloop  # noqa: PLC0415 - optional: `pip install uvloop`

        uvloop.install()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
