"""`realtime-conformance record`: run the recording proxy, or turn a transcript into a scenario."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path
from typing import TextIO

from realtime_conformance.mockserver.cli_checks import port_number, start_failure

EXIT_OK, EXIT_USAGE = 0, 2
PROG = "realtime-conformance record"


def add_record_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--upstream",
        metavar="URL",
        help="the server to record: its origin, e.g. https://api.openai.com (or a mock's "
        "http://127.0.0.1:PORT); clients then use this proxy's URLs instead",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=port_number, default=0, help="default 0: any free port")
    parser.add_argument(
        "--output",
        type=Path,
        metavar="DIR|FILE",
        help="proxy: the directory for one transcript per connection (default recordings/); "
        "--to-scenario: the YAML file (default: standard output)",
    )
    parser.add_argument(
        "--to-scenario",
        type=Path,
        metavar="TRANSCRIPT",
        help="write a replay scenario made from this transcript instead of recording",
    )
    parser.add_argument("--id", default="900.1", help="--to-scenario: the scenario's id")


def run_record(args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    if args.to_scenario is not None:
        return write_scenario(args, out, err)
    if not args.upstream or not args.upstream.startswith(
        ("http://", "https://", "ws://", "wss://")
    ):
        print(f"{PROG}: give --upstream URL (http(s):// or ws(s)://), or --to-scenario", file=err)
        return EXIT_USAGE
    output = args.output or Path("recordings")
    if output.exists() and not output.is_dir():
        print(f"{PROG}: --output {output} is a file: give a directory", file=err)
        return EXIT_USAGE
    return asyncio.run(record(args.upstream, args.host, args.port, output, out=out, err=err))


def write_scenario(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from realtime_conformance.conformance.record.to_scenario import dumps, to_scenario  # noqa: PLC0415 (lazy)

    try:
        text = dumps(to_scenario(args.to_scenario, args.id))
    except OSError as error:
        print(f"{PROG}: cannot read {args.to_scenario}: {error.strerror}", file=err)
        return EXIT_USAGE
    except UnicodeDecodeError:
        print(f"{PROG}: {args.to_scenario} is not UTF-8 text: give a JSONL transcript", file=err)
        return EXIT_USAGE
    if args.output is None:
        out.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        print(f"scenario {args.id} written to {args.output}", file=err)
    return EXIT_OK


async def record(
    upstream: str, host: str, port: int, output: Path, *, out: TextIO, err: TextIO
) -> int:
    from realtime_conformance.conformance.record.proxy import ProxyOptions, running_proxy  # noqa: PLC0415 (lazy)
    from realtime_conformance.mockserver.options import ServerOptions  # noqa: PLC0415

    stop = asyncio.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signal_number, stop.set)
    try:
        context = running_proxy(ProxyOptions(upstream, host, port, output))
        running = await context.__aenter__()
    except OSError as error:
        print(f"{PROG}: {start_failure(ServerOptions(host=host, port=port), error)}", file=err)
        return EXIT_USAGE
    try:
        running.proxy.on_done.append(
            lambda exchange: print(
                f"{exchange.connection_id}: {len(exchange.recording.lines)} lines -> "
                f"{exchange.recording.path}",
                file=err,
                flush=True,
            )
        )
        print(
            f"recording proxy ready: url={running.url} http={running.http_url}/v1 "
            f"upstream={upstream} output={output}",
            file=out,
            flush=True,
        )
        await stop.wait()
    finally:
        await context.__aexit__(None, None, None)
    print(f"recording proxy stopped: {len(running.proxy.exchanges)} transcript(s)", file=err)
    return EXIT_OK
