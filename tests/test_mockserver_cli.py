"""`python -m realtime_conformance.mockserver`: argument parsing, and a real process that prints
where it listens."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import ssl
import sys
from pathlib import Path

import aiohttp
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from realtime_conformance.mockserver.cli import (
    add_serve_arguments,
    audio_delivery,
    options_from_args,
)
from realtime_conformance.mockserver.options import SimulatedModel
from realtime_conformance.rtproto.server.realtime.timing import AudioDelivery, Timing
from tests.support.mock_behaviours import run

READY = re.compile(
    r"url=(?P<url>\S+) control=(?P<control>\S+)(?: cert=(?P<cert>\S+))? seed=(?P<seed>\d+)$"
)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser)
    return parser.parse_args(argv)


def test_arguments_become_options(tmp_path: Path) -> None:
    options = options_from_args(
        parse("--port", "8123", "--tls", "--record", str(tmp_path), "--retired-beta",
              "--api-key", "k1", "k2", "--api-key", "k3", "--ping-interval", "0")
    )  # fmt: skip
    assert (options.port, options.tls, options.retired_beta) == (8123, True, True)
    assert options.api_keys == frozenset({"k1", "k2", "k3"})
    assert (options.record_dir, options.ping_interval_s) == (tmp_path, None)
    defaults = options_from_args(parse())
    assert (defaults.host, defaults.port, defaults.api_keys, defaults.ping_interval_s) == (
        "127.0.0.1", 0, None, 20.0
    )  # fmt: skip
    assert defaults.behaviour_factory == SimulatedModel()


def test_simulated_model_arguments(tmp_path: Path) -> None:
    options = options_from_args(
        parse(
            "--timing",
            "instant",
            "--session-limit",
            "90",
            "--audio-delivery",
            "rate:0.8",
            "--vad-frame-ms",
            "32",
        )
    )
    assert options.behaviour_factory == SimulatedModel(
        timing=Timing.instant(), session_limit_s=90.0, audio_delivery=AudioDelivery.rate(0.8),
        vad_frame_ms=32,
    )  # fmt: skip
    assert audio_delivery("realtime") == AudioDelivery.realtime()
    assert audio_delivery("burst:3") == AudioDelivery.burst(3.0)
    with pytest.raises(argparse.ArgumentTypeError):
        audio_delivery("warp:9")


def test_the_server_process_prints_its_url_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    async def body() -> None:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "realtime_conformance.mockserver",
            "--tls", "--record", str(tmp_path),
            "--validate-events",
            "--api-key", "sk-good-key-0123456789",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stdout is not None
        try:
            line = (await process.stdout.readline()).decode().strip()
            ready = READY.search(line)
            assert ready is not None, line
            cert = Path(ready["cert"])
            assert cert.exists() and ready["url"].startswith("wss://127.0.0.1:")
            await check_running_server(ready["url"], ready["control"], cert)
        finally:
            process.send_signal(signal.SIGTERM)
            assert await process.wait() == 0
            assert process.stderr is not None
            assert b"invalid server event" not in await process.stderr.read()
        (transcript,) = tmp_path.glob("*.jsonl")
        assert "invalid_api_key" in transcript.read_text()
        assert not cert.exists()

    run(body())


async def check_running_server(url: str, control: str, cert: Path) -> None:
    context = ssl.create_default_context(cafile=str(cert))
    async with aiohttp.ClientSession() as http, http.get(f"{control}health", ssl=context) as r:
        assert await r.json() == {"ok": True}
    headers = {"Authorization": "Bearer sk-wrong-key-0123456789"}
    async with connect(f"{url}/realtime?model=gpt-realtime", additional_headers=headers,
                       ssl=context) as ws:  # fmt: skip
        assert json.loads(await ws.recv())["error"]["code"] == "invalid_api_key"
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 3000
