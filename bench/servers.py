"""The servers the benchmarks measure, one per process: `python bench/servers.py KIND ...`.

  mock        the mock server (mockserver.app.running_server) playing one scenario
  raw-burst   a raw aiohttp WebSocket server: on each client message, the scenario's reply as
              fast as it can
  raw-paced   a raw aiohttp WebSocket server: after the first client message, the scenario's
              reply over and over, one event every `--pace-ms` on absolute deadlines

The raw servers send pre-encoded frames (each event's UTF-8 JSON built once before serving and
sent with `send_frame`): what an aiohttp process can do at best, the fair ceiling. With
`--same-encoding` they encode each event as they send it, as the mock does
(`send_str(json.dumps(event))`): the second, "same-encoding" baseline.

The raw servers read their events from `--scenarios-dir`/events.json (workloads.py writes it)
and import nothing of the project, so their process is aiohttp and the standard library only,
with a small heap (a big one makes the garbage collector's full passes long).

Prints `ready port=N` when listening, runs until SIGTERM, then prints `stats ...`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import cProfile
import itertools
import json
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import WSMsgType, web
from pauses import PAUSES_PREFIX, PauseProbe
from processes import READY_PREFIX, pin_to_core, raise_open_files_limit
from workloads import EVENTS_FILE, SCENARIO_ID, Event, encode

Serve = Callable[[asyncio.Event], Awaitable[None]]


async def serve_mock(
    stop: asyncio.Event,
    scenarios_dir: Path,
    validate: bool,
    profiler: cProfile.Profile | None,
    transcripts: bool = True,
) -> None:
    from realtime_conformance.mockserver.app import running_server, settle_heap  # noqa: PLC0415 - raw ones do without
    from realtime_conformance.mockserver.options import ServerOptions  # noqa: PLC0415

    options = ServerOptions(
        scenarios_dir=scenarios_dir,
        scenario=SCENARIO_ID,
        validate_events=validate,
        transcripts_in_memory=transcripts,
    )
    async with running_server(options) as server:
        _ = server.state.scenarios.by_id  # load the scenario now, not on the first connection
        settle_heap()  # as `serve` does
        if profiler is not None:
            profiler.enable()  # connections only, not the start-up
        print(f"{READY_PREFIX}{server.port}", flush=True)
        await probed_until(stop)
        if profiler is not None:
            profiler.disable()
        invalid = len(server.invalid_events)
    print(f"stats invalid_events={invalid}", flush=True)


async def probed_until(stop: asyncio.Event) -> None:
    """Wait for the stop, timing the process's pauses meanwhile; print them (`pauses {json}`)."""
    probe = PauseProbe()
    probe.start()
    await stop.wait()
    print(f"{PAUSES_PREFIX}{json.dumps(probe.stop())}", flush=True)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


Frame = Event | bytes  # an event, or its pre-encoded UTF-8 JSON
SendFrame = Callable[[web.WebSocketResponse, Frame], Awaitable[None]]


async def send_pre_encoded(ws: web.WebSocketResponse, frame: Frame) -> None:
    assert isinstance(frame, bytes)
    await ws.send_frame(frame, WSMsgType.TEXT)


async def send_encoding(ws: web.WebSocketResponse, frame: Frame) -> None:
    assert isinstance(frame, dict)
    await ws.send_str(encode(frame))


def raw_handler(
    hello: list[Frame], reply: list[Frame], pace_s: float | None, send: SendFrame
) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        for frame in hello:
            await send(ws, frame)
        with contextlib.suppress(ConnectionResetError):
            if pace_s is None:
                await _burst_per_message(ws, reply, send)
            else:
                await _paced(ws, reply, pace_s, send)
        return ws

    return handle


async def _burst_per_message(
    ws: web.WebSocketResponse, reply: list[Frame], send: SendFrame
) -> None:
    async for _ in ws:
        for frame in reply:
            await send(ws, frame)


async def _paced(
    ws: web.WebSocketResponse, reply: list[Frame], pace_s: float, send: SendFrame
) -> None:
    """Wait for the first client message, then one event per `pace_s`, on absolute deadlines."""
    await ws.receive()
    drain = asyncio.create_task(_drain(ws))  # later client messages are read and ignored
    loop = asyncio.get_running_loop()
    start = loop.time()
    try:
        for k, frame in enumerate(itertools.cycle(reply)):
            delay = start + k * pace_s - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if ws.closed:
                return
            await send(ws, frame)
    finally:
        drain.cancel()


async def _drain(ws: web.WebSocketResponse) -> None:
    """Read the client's later messages as a server must: parse them, decode appended audio."""
    async for message in ws:
        if message.type is WSMsgType.TEXT:
            event = json.loads(message.data)
            if event.get("type") == "input_audio_buffer.append":
                base64.b64decode(event["audio"])


async def serve_raw(
    stop: asyncio.Event, events_file: Path, pace_ms: int | None, same_encoding: bool
) -> None:
    events = json.loads(events_file.read_text(encoding="utf-8"))
    hello: list[Frame] = events["hello"]
    reply: list[Frame] = events["reply"]
    send: SendFrame = send_encoding
    if not same_encoding:
        hello = [encode(event).encode() for event in events["hello"]]
        reply = [encode(event).encode() for event in events["reply"]]
        send = send_pre_encoded
    app = web.Application()
    pace_s = None if pace_ms is None else pace_ms / 1000
    app.router.add_get("/v1/realtime", raw_handler(hello, reply, pace_s, send))
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        print(f"{READY_PREFIX}{runner.addresses[0][1]}", flush=True)
        await probed_until(stop)
    finally:
        await runner.cleanup()
    print("stats", flush=True)


async def run_until_signalled(serve: Serve) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    await serve(stop)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["mock", "raw-burst", "raw-paced"])
    parser.add_argument("--cpu", type=int, default=0, help="core to pin to")
    parser.add_argument("--scenarios-dir", type=Path, help="mock: directory of the scenario")
    parser.add_argument("--validate", action="store_true", help="mock: validate_events=True")
    parser.add_argument("--pace-ms", type=int, default=20, help="raw-paced: gap between events")
    parser.add_argument("--profile", type=Path, help="mock: cProfile stats, written on exit")
    parser.add_argument(
        "--no-transcripts", action="store_true", help="mock: transcripts_in_memory=False"
    )
    parser.add_argument(
        "--same-encoding", action="store_true", help="raw: json.dumps per event, as the mock"
    )
    return parser.parse_args()


def choose(args: argparse.Namespace, profiler: cProfile.Profile | None) -> Serve:
    scenarios_dir: Path = args.scenarios_dir
    if args.kind == "mock":
        transcripts = not args.no_transcripts
        return lambda stop: serve_mock(stop, scenarios_dir, args.validate, profiler, transcripts)
    pace_ms = args.pace_ms if args.kind == "raw-paced" else None
    same_encoding: bool = args.same_encoding
    return lambda stop: serve_raw(stop, scenarios_dir / EVENTS_FILE, pace_ms, same_encoding)


def main() -> None:
    args = parse_args()
    pin_to_core(args.cpu)
    raise_open_files_limit()
    profiler = cProfile.Profile() if args.profile else None
    asyncio.run(run_until_signalled(choose(args, profiler)))
    if profiler is not None:
        profiler.dump_stats(args.profile)


if __name__ == "__main__":
    main()
