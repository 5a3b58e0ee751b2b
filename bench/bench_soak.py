"""Memory of a long-running mock: does it stay flat while clients come and go?

Two measurements of one `serve` process (the real command,
`python -m realtime_conformance.mockserver`), its resident memory (VmRSS) read from /proc:

- `soak` (default): `--sessions` (50) paced audio sessions for `--minutes` (10): each appends
  20 ms of caller audio every 20 ms, asks for a reply every `--reply-every` s (the simulated
  model answers with audio), and hangs up and reconnects every `--reconnect` s (60); sessions
  are spread evenly over that interval. RSS is sampled every `--sample` s (10); the figure is the
  least-squares slope of RSS over time after `--warmup-minutes` (2), in MB per minute.
- `cycles`: `--cycles` (2) identical rounds of `--connections` (500) short connections (each: the
  greeting, one text-only turn, the close; 50 at a time), after `--warmup-cycles` (1) more (the
  first sessions load the catalogue, validators and synthesis tables: ~90 MB once). RSS after
  each round; the figure is the growth over the last round.

The server runs with `--no-transcripts-in-memory` unless `--server-arg` says otherwise: that is
the documented mode for long runs (in memory, 1,000 records of calls of a minute, ~5 MB each,
are 5 GB that the server is asked to keep). `--json` prints one JSON object.

    python bench/bench_soak.py --minutes 10
    python bench/bench_soak.py cycles --connections 500 --server-arg=--records-kept=500
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp

HEADERS = {"Authorization": "Bearer sk-soak"}
APPEND_20MS = '{"type":"input_audio_buffer.append","audio":"' + "A" * 1280 + '"}'  # PCM16 24 kHz
USER_TEXT = json.dumps(
    {
        "type": "conversation.item.create",
        "item": {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "hi"}],
        },
    }
)
RESPONSE_CREATE = '{"type":"response.create"}'
TEXT_RESPONSE_CREATE = '{"type":"response.create","response":{"output_modalities":["text"]}}'
READY_MARK = "url="
START_TIMEOUT_S = 60.0
CONNECT_CONCURRENCY = 50


class ServeProcess:
    """`python -m realtime_conformance.mockserver` in a subprocess: its URL and its resident
    memory."""

    def __init__(self, extra: list[str]) -> None:
        command = [
            sys.executable,
            "-m",
            "realtime_conformance.mockserver",
            "--ping-interval",
            "0",
            *extra,
        ]
        self.log = tempfile.NamedTemporaryFile("w+", prefix="soak-", suffix=".log")  # noqa: SIM115 (closed by stop)
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=self.log, text=True, bufsize=1
        )
        self.url = self._ready_url()
        # Whatever it prints later is read and dropped, so a full pipe never blocks it.
        threading.Thread(target=self.process.stdout.read, daemon=True).start()  # type: ignore[union-attr]

    def tracebacks(self) -> int:
        """Tracebacks the server wrote to its log (stderr) so far."""
        self.log.flush()
        return Path(self.log.name).read_text().count("Traceback (most recent call last)")

    def _ready_url(self) -> str:
        assert self.process.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and (line := self.process.stdout.readline()):
            if READY_MARK in line:
                return line.split(READY_MARK, 1)[1].split()[0]
        self.stop()
        raise RuntimeError("the mock server did not start")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def slope_mb_per_min(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) samples, in MB per minute."""
    if len(samples) < 2:
        return 0.0
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_m = sum(m for _, m in samples) / n
    spread = sum((t - mean_t) ** 2 for t, _ in samples)
    covariance = sum((t - mean_t) * (m - mean_m) for t, m in samples)
    return 60.0 * covariance / spread if spread else 0.0


async def audio_call(
    http: aiohttp.ClientSession, url: str, length_s: float, reply_every_s: float
) -> None:
    """One call: 20 ms of audio every 20 ms on absolute deadlines, a reply asked for now and
    then, every server event read; then the hang-up."""
    async with http.ws_connect(url, headers=HEADERS, max_msg_size=0) as ws:
        reader = asyncio.create_task(_drain(ws))
        start = time.monotonic()
        next_reply = start
        for k in itertools.count():
            due = start + k * 0.02
            if due - start >= length_s:
                break
            await asyncio.sleep(max(due - time.monotonic(), 0))
            await ws.send_str(APPEND_20MS)
            if due >= next_reply:
                await ws.send_str(RESPONSE_CREATE)
                next_reply += reply_every_s
        reader.cancel()


async def _drain(ws: aiohttp.ClientWebSocketResponse) -> None:
    async for _ in ws:
        pass


async def caller(
    http: aiohttp.ClientSession, url: str, args: argparse.Namespace, phase_s: float, end: float
) -> int:
    """One session slot: calls of `--reconnect` s back to back until the end; the calls made."""
    await asyncio.sleep(phase_s)
    calls = 0
    while (left := end - time.monotonic()) > 1.0:
        await audio_call(http, url, min(args.reconnect, left), args.reply_every)
        calls += 1
    return calls


async def sample_rss(server: ServeProcess, every_s: float, end: float) -> list[tuple[float, float]]:
    start = time.monotonic()
    samples = []
    while (now := time.monotonic()) < end:
        samples.append((now - start, server.rss_mb()))
        print(f"  {now - start:6.0f} s  RSS {samples[-1][1]:7.1f} MB", file=sys.stderr)
        await asyncio.sleep(every_s)
    return samples


async def soak(server: ServeProcess, args: argparse.Namespace) -> dict[str, Any]:
    url = f"{server.url}/realtime?model=gpt-realtime"
    end = time.monotonic() + args.minutes * 60
    spread = (args.reconnect if args.start_over is None else args.start_over) / args.sessions
    async with aiohttp.ClientSession() as http:
        sampler = asyncio.create_task(sample_rss(server, args.sample, end))
        calls = await asyncio.gather(
            *(caller(http, url, args, i * spread, end) for i in range(args.sessions))
        )
        samples = await sampler
    warmup_s = min(args.warmup_minutes * 60, args.minutes * 30)  # at most half the run
    after = [(t, mb) for t, mb in samples if t >= warmup_s]
    return {
        "mode": "soak",
        "minutes": args.minutes,
        "sessions": args.sessions,
        "calls": sum(calls),
        "warmup_s": warmup_s,
        "rss_mb": [round(mb, 1) for _, mb in samples],
        "slope_mb_per_min_after_warmup": round(slope_mb_per_min(after), 3),
        "rss_first_after_warmup_mb": round(after[0][1], 1) if after else None,
        "rss_last_mb": round(samples[-1][1], 1),
    }


async def short_connection(http: aiohttp.ClientSession, url: str, gate: asyncio.Semaphore) -> None:
    async with gate, http.ws_connect(url, headers=HEADERS, max_msg_size=0) as ws:
        await ws.receive()  # session.created
        await ws.send_str(USER_TEXT)
        await ws.send_str(TEXT_RESPONSE_CREATE)
        async for message in ws:
            if message.type is aiohttp.WSMsgType.TEXT and '"response.done"' in message.data[:40]:
                break


async def cycles(server: ServeProcess, args: argparse.Namespace) -> dict[str, Any]:
    url = f"{server.url}/realtime?model=gpt-realtime"
    rss = [server.rss_mb()]
    seconds = []
    async with aiohttp.ClientSession() as http:
        for _ in range(args.warmup_cycles + args.cycles):
            gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
            started = time.monotonic()
            await asyncio.gather(
                *(short_connection(http, url, gate) for _ in range(args.connections))
            )
            seconds.append(round(time.monotonic() - started, 2))
            await asyncio.sleep(args.settle)  # the last closes are recorded
            rss.append(server.rss_mb())
            print(f"  cycle {len(seconds)}: {seconds[-1]} s, RSS {rss[-1]:.1f} MB", file=sys.stderr)
    return {
        "mode": "cycles",
        "connections": args.connections,
        "warmup_cycles": args.warmup_cycles,
        "cycle_seconds": seconds,
        "rss_mb": [round(mb, 2) for mb in rss],
        "last_cycle_growth_mb": round(rss[-1] - rss[-2], 2),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", nargs="?", choices=["soak", "cycles"], default="soak")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--reconnect", type=float, default=60.0, metavar="SECONDS")
    parser.add_argument(
        "--start-over",
        type=float,
        metavar="SECONDS",
        help="spread of the first calls' starts"
        " (default: --reconnect; with a --reconnect longer than the run, e.g. 5: each session"
        " one call for the whole run)",
    )
    parser.add_argument("--reply-every", type=float, default=10.0, metavar="SECONDS")
    parser.add_argument("--sample", type=float, default=10.0, metavar="SECONDS")
    parser.add_argument("--warmup-minutes", type=float, default=2.0)
    parser.add_argument("--cycles", type=int, default=2)
    parser.add_argument("--warmup-cycles", type=int, default=1, help="run first, not counted")
    parser.add_argument("--connections", type=int, default=500)
    parser.add_argument("--settle", type=float, default=1.0, metavar="SECONDS")
    parser.add_argument(
        "--server-arg",
        action="append",
        default=[],
        help="an extra `serve` argument (repeat it); default --no-transcripts-in-memory",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    extra = args.server_arg or ["--no-transcripts-in-memory"]
    if args.mode == "cycles":
        extra = [*extra, "--timing", "instant"]
    server = ServeProcess(extra)
    try:
        run = cycles if args.mode == "cycles" else soak
        result = {**asyncio.run(run(server, args)), "server_args": extra}
        result["server_tracebacks"] = server.tracebacks()
    finally:
        server.stop()
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
