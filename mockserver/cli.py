"""`python -m realtime_conformance.mockserver` (and `realtime-conformance serve`): run a mock
server until stopped."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from realtime_conformance.mockserver.cli_checks import (
    EXIT_USAGE,
    UsageError,
    UsageParser,
    check_record_dir,
    check_scenarios,
    chosen_scenario,
    non_negative,
    port_number,
    start_failure,
)
from realtime_conformance.mockserver.cli_limits import add_limit_arguments, limits_from_args
from realtime_conformance.rtproto.server.realtime.timing import AudioDelivery, Timing

if TYPE_CHECKING:  # the server itself is imported when `serve` runs: `--help` stays fast
    from realtime_conformance.mockserver.app import RunningServer
    from realtime_conformance.mockserver.options import ServerOptions


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--port", type=port_number, default=0, help="port (default 0: any free port)"
    )
    parser.add_argument(
        "--tls", action="store_true", help="serve wss:// with a self-signed certificate"
    )
    parser.add_argument(
        "--record", type=Path, metavar="DIR", help="write one JSONL transcript per connection"
    )
    parser.add_argument(
        "--scenario",
        metavar="ID|PATH.yaml",
        help="play this scenario on every connection: a catalogue id, an id from --scenarios, "
        "or your own scenario file (default: the simulated model; a connection may also ask "
        "with ?scenario=ID)",
    )
    parser.add_argument(
        "--scenarios",
        dest="scenario_dirs",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        help="your own scenarios (every *.yaml below DIR), alongside the catalogue: a "
        "connection names one with ?scenario=ID; an id the catalogue has too is yours; "
        "repeatable",
    )
    parser.add_argument(
        "--seed",
        type=non_negative(int),
        metavar="N",
        help="seed of every id and text the server makes (default: a fresh one, shown in the "
        "ready line and each transcript's handshake line; give it back to replay a run)",
    )
    parser.add_argument(
        "--retired-beta",
        action="store_true",
        help="answer beta handshakes as the real API does since 2026 (beta_api_shape_disabled)",
    )
    parser.add_argument(
        "--api-key",
        dest="api_keys",
        action="extend",
        nargs="+",
        metavar="KEY",
        help="accept only these keys (default: any non-empty key)",
    )
    parser.add_argument(
        "--ping-interval",
        type=non_negative(float),
        default=20.0,
        metavar="SECONDS",
        help="server PING interval (default 20, as the real API; 0: no pings)",
    )
    simulated = parser.add_argument_group(
        "the simulated model (connections that choose no scenario)"
    )
    simulated.add_argument(
        "--timing",
        choices=["realistic", "instant"],
        default="realistic",
        help="reaction delays as the real API's (default) or none at all",
    )
    simulated.add_argument(
        "--session-limit",
        type=non_negative(float),
        default=3600.0,
        metavar="SECONDS",
        help="session length before `session_expired` and close 1001 (default 3600, as the API)",
    )
    simulated.add_argument(
        "--audio-delivery",
        type=audio_delivery,
        default=AudioDelivery.burst(),
        metavar="MODE",
        help="response audio: burst (default, faster than real time), burst:X (X times real "
        "time), realtime (paced), rate:X (X times real time, below 1 starves playout)",
    )
    simulated.add_argument(
        "--vad-frame-ms",
        type=int,
        choices=[10, 32],
        default=10,
        help="VAD frame (10 ms; 32 ms puts speech_started/stopped on the real server's grid)",
    )
    parser.add_argument(
        "--no-transcripts-in-memory",
        dest="transcripts_in_memory",
        action="store_false",
        help="keep transcripts only in --record files: the mode for long runs (memory then stays "
        "flat however many connections are served; the control API serves no transcript)",
    )
    add_limit_arguments(parser)
    parser.add_argument(
        "--validate-events",
        action="store_true",
        help="validate every server event as it is sent and report invalid ones on stderr",
    )


def audio_delivery(text: str) -> AudioDelivery:
    """`burst`, `burst:4`, `realtime` or `rate:0.8` (argparse type)."""
    mode, _, factor = text.partition(":")
    try:
        if mode == "realtime" and not factor:
            return AudioDelivery.realtime()
        if mode == "burst":
            return AudioDelivery.burst(float(factor) if factor else None)
        if mode == "rate" and factor:
            return AudioDelivery.rate(float(factor))
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    raise argparse.ArgumentTypeError(f"expected burst[:X], realtime or rate:X, not {text!r}")


def options_from_args(args: argparse.Namespace) -> ServerOptions:
    from realtime_conformance.mockserver.options import ServerOptions, SimulatedModel  # noqa: PLC0415 (lazy: --help)

    scenario_id, scenario_files = chosen_scenario(args.scenario)
    return ServerOptions(
        behaviour_factory=SimulatedModel(
            timing=Timing.instant() if args.timing == "instant" else Timing.realistic(),
            session_limit_s=args.session_limit,
            audio_delivery=args.audio_delivery,
            vad_frame_ms=args.vad_frame_ms,
        ),
        host=args.host,
        port=args.port,
        tls=args.tls,
        api_keys=frozenset(args.api_keys) if args.api_keys else None,
        retired_beta=args.retired_beta,
        ping_interval_s=args.ping_interval or None,
        record_dir=args.record,
        scenario=scenario_id,
        extra_scenarios=(*args.scenario_dirs, *scenario_files),
        seed=args.seed,
        transcripts_in_memory=args.transcripts_in_memory,
        validate_events=args.validate_events,
        **limits_from_args(args),
    )


def ready_line(server: RunningServer) -> str:
    """One line a harness can parse: `url=...`, `seed=...` and, with TLS, `cert=...`."""
    line = f"mock server ready: url={server.url} control={server.http_url}/_mock/"
    if server.cert_path is not None:
        line += f" cert={server.cert_path}"
    line += f" seed={server.state.seed}"
    return line


async def serve(options: ServerOptions, out: TextIO, err: TextIO) -> int:
    from realtime_conformance.mockserver.activity import ActivityLog  # noqa: PLC0415 (lazy: --help)
    from realtime_conformance.mockserver.app import running_server, settle_heap  # noqa: PLC0415

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    async with contextlib.AsyncExitStack() as stack:
        try:
            server = await stack.enter_async_context(running_server(options))
        except OSError as error:
            print(f"realtime-conformance serve: {start_failure(options, error)}", file=err)
            return EXIT_USAGE
        activity = ActivityLog(server.state, err)
        server.state.watchers.append(activity)
        settle_heap()
        print(ready_line(server), file=out, flush=True)
        await stop.wait()
        if server.invalid_events:  # each was logged as it was sent
            print(f"{len(server.invalid_events)} invalid server event(s) were sent", file=err)
    print(activity.summary(), file=err, flush=True)  # after the last connections closed
    return 0


def run_serve(args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    try:
        options = options_from_args(args)
        check_record_dir(options.record_dir)
        check_scenarios(options)
    except UsageError as error:
        print(f"realtime-conformance serve: {error}", file=err)
        return EXIT_USAGE
    return asyncio.run(serve(options, out, err))


def main(argv: Sequence[str] | None = None) -> int:
    parser = UsageParser(
        prog="python -m realtime_conformance.mockserver",
        description="Run the mock OpenAI Realtime server until SIGINT or SIGTERM.",
    )
    add_serve_arguments(parser)
    return run_serve(parser.parse_args(argv))
