"""First connection to a fresh mock server: `realtime-conformance serve` started anew each time.

Run: python bench/bench_first_connection.py [--servers 5] [--json]

For each of `--servers` fresh `serve` processes (pinned to core 0; the client on core 1):

  start ms     process start -> its ready line (everything a first connection needs is made
               before that line: mockserver.warm)
  first ms     WebSocket connect -> `session.created` received, the server's first connection
  second ms    the same for a second connection (what every later one costs)
  answer ms    `session.update` sent on the first connection -> its `session.updated`
               (`--timing instant`: no simulated latency, so this is the server's own work)

The figure is the median over the servers; the target (issue 13) is a first connection under
20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time

import aiohttp
from figures import Row, emit, median, progress
from processes import CLIENT_CORE, SERVER_CORE, pin_to_core

READY = "mock server ready: url="
HEADERS = {"Authorization": "Bearer sk-bench"}
UPDATE = {"type": "session.update", "session": {"type": "realtime", "instructions": "Be brief."}}


def start_serve() -> tuple[subprocess.Popen[str], str, float]:
    """A fresh `serve` process, its WebSocket base URL and its start-up time (s)."""
    command = [
        sys.executable,
        "-c",
        "from realtime_conformance.conformance.cli import main; main()",
    ]
    command += ["serve", "--port", "0", "--timing", "instant"]
    begun = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: os.sched_setaffinity(0, {SERVER_CORE}),  # noqa: PLW1509
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith(READY):
            return process, line[len(READY) :].split()[0], time.perf_counter() - begun
    raise RuntimeError("serve did not print its ready line")


async def connection(session: aiohttp.ClientSession, url: str) -> tuple[float, float]:
    """(connect -> session.created, session.update -> session.updated), in seconds."""
    begun = time.perf_counter()
    async with session.ws_connect(f"{url}/realtime?model=gpt-realtime", headers=HEADERS) as ws:
        await ws.receive()
        created = time.perf_counter() - begun
        sent = time.perf_counter()
        await ws.send_str(json.dumps(UPDATE))
        while json.loads((await ws.receive()).data).get("type") != "session.updated":
            pass
        return created, time.perf_counter() - sent


async def one_server() -> Row:
    process, url, start_s = start_serve()
    try:
        async with aiohttp.ClientSession() as session:
            first, answer = await connection(session, url)
            second, _ = await connection(session, url)
    finally:
        process.terminate()
        process.communicate(timeout=10)
    return {
        "start ms": 1000 * start_s,
        "first ms": 1000 * first,
        "second ms": 1000 * second,
        "answer ms": 1000 * answer,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", type=int, default=5, help="fresh servers to measure")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    pin_to_core(CLIENT_CORE)
    rows = []
    for k in range(args.servers):
        rows.append(asyncio.run(one_server()))
        progress(f"  server {k + 1}: " + ", ".join(f"{key} {v:.1f}" for key, v in rows[-1].items()))
    columns = ["start ms", "first ms", "second ms", "answer ms"]
    summary = {f"median {column}": median([row[column] for row in rows]) for column in columns}
    emit("first connection", {"fresh servers": (rows, columns)}, summary, args.json)


if __name__ == "__main__":
    main()
