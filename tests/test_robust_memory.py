"""Bounded memory: a closed connection keeps only its record (transcript capped), never its
simulated session; the number of records kept is an option. The RSS of 2 x 500 connections is
measured by `bench/bench_soak.py cycles` (too slow for a test on a shared machine): these test
the mechanisms it relies on."""

from __future__ import annotations

import gc
import json
import weakref
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp

from realtime_conformance.mockserver import (
    ConnectionInfo,
    RunningServer,
    ServerOptions,
    running_server,
)
from realtime_conformance.mockserver.options import SimulatedModel
from realtime_conformance.mockserver.recorder import CAP_NOTE, Recording
from realtime_conformance.rtproto.server.realtime.behaviour import Behaviour
from realtime_conformance.rtproto.server.realtime.timing import Timing
from tests.support.mock_behaviours import auth_headers, run


class TrackedModel:
    """The simulated model, remembering each session it made by weak reference only."""

    def __init__(self) -> None:
        self.model = SimulatedModel(timing=Timing.instant())
        self.sessions: list[weakref.ref[Behaviour]] = []

    def __call__(self, info: ConnectionInfo) -> Behaviour:
        session = self.model(info)
        self.sessions.append(weakref.ref(session))
        return session


def options(**overrides: Any) -> ServerOptions:
    return replace(ServerOptions(ping_interval_s=None), **overrides)


async def greet_and_leave(server: RunningServer, frames: list[str] = []) -> None:  # noqa: B006
    async with aiohttp.ClientSession() as session:
        url = f"{server.url}/realtime?model=gpt-realtime"
        async with session.ws_connect(url, headers=auth_headers()) as ws:
            await ws.receive()
            for frame in frames:
                await ws.send_str(frame)
            if frames:
                await ws.receive()  # the answer to the first frame: they have been read
    await server.connections[-1].finished()


def test_a_closed_connection_lets_its_simulated_session_go() -> None:
    model = TrackedModel()

    async def body() -> list[Any]:
        async with running_server(options(behaviour_factory=model)) as server:
            for _ in range(3):
                await greet_and_leave(server)
            gc.collect()
            records = server.connections
            return [len(records), [record.behaviour for record in records]]

    kept, behaviours = run(body())
    gc.collect()
    assert kept == 3 and behaviours == [None, None, None]
    assert len(model.sessions) == 3
    assert [ref() for ref in model.sessions] == [None, None, None]


def test_only_the_configured_number_of_records_is_kept() -> None:
    async def body() -> list[str]:
        model = SimulatedModel(timing=Timing.instant())
        async with running_server(options(connections_kept=2, behaviour_factory=model)) as server:
            for _ in range(5):
                await greet_and_leave(server)
            return [record.connection_id for record in server.connections]

    kept = run(body())
    assert [name.split("-")[1] for name in kept] == ["0004", "0005"]


def test_an_in_memory_transcript_stops_at_its_cap_with_a_meta_line(tmp_path: Path) -> None:
    frame = (
        "not json " + "x" * 1000
    )  # each recorded as a text frame of ~1 KB, answered with an error
    cap = 8 * 1024

    async def body() -> tuple[list[str], dict[str, Any]]:
        model = SimulatedModel(timing=Timing.instant())
        opts = options(transcript_cap_bytes=cap, record_dir=tmp_path, behaviour_factory=model)
        async with running_server(opts) as server:
            await greet_and_leave(server, [frame] * 40)
            record = server.connections[0]
            return record.recording.lines, record.summary()

    lines, summary = run(body())
    assert sum(len(line) + 1 for line in lines[:-1]) <= cap
    marker = json.loads(lines[-1])["meta"]
    assert marker == {"kind": "transcript_truncated", "cap_bytes": cap, "note": CAP_NOTE}
    on_disk = (tmp_path / f"{summary['id']}.jsonl").read_text().splitlines()
    assert summary["lines_past_cap"] == len(on_disk) - (len(lines) - 1) > 0
    assert sum('"frame"' in line for line in on_disk) == 40


def test_the_cap_counts_every_kind_of_line() -> None:
    recording = Recording("conn-1", 0.0, None, cap_bytes=300)
    for _ in range(10):
        recording.event(0.1, "client", '{"type":"response.create"}')
        recording.done(0.2)
    kinds = [json.loads(line).get("meta", {}).get("kind") for line in recording.lines]
    assert kinds[-1] == "transcript_truncated" and kinds.count("transcript_truncated") == 1
    assert recording.kept_bytes - len(recording.lines[-1]) - 1 <= 300
    assert recording.dropped_lines == 20 - (len(recording.lines) - 1)
