"""Transcripts written by the mock: the shared format, every line accounted for, schema-clean."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp

from realtime_conformance.conformance.checks.schema import check_schema
from realtime_conformance.mockserver import RunningServer
from realtime_conformance.mockserver.recorder import MAX_TEXT_RECORDED, Recording, text_frame
from realtime_conformance.rtproto.transcript import TranscriptLine, parse_lines
from realtime_conformance.rtproto.validation import EventValidator
from tests.support.mock_behaviours import (
    KEY,
    aiohttp_client,
    auth_headers,
    next_event,
    run,
    serving,
)

USER_ITEM = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
GA_CLIENT_EVENTS: list[dict[str, Any]] = [
    {"type": "session.update", "session": {"type": "realtime", "instructions": "héllo\u2028wörld"}},
    {"type": "conversation.item.create", "item": USER_ITEM},
    {"type": "response.create"},
]
ANSWERS = {"session.update": 1, "conversation.item.create": 2, "response.create": 2}


async def ga_session(server: RunningServer, **client: Any) -> str:
    """A short session with valid events and two bad frames; returns its connection id."""
    async with aiohttp_client(server, **client) as ws:
        await next_event(ws)
        for event in GA_CLIENT_EVENTS:
            await ws.send_json(event)
            for _ in range(ANSWERS[event["type"]]):
                await next_event(ws)
        await ws.send_str("not json")
        await ws.send_bytes(bytes(64))
        for _ in range(2):
            await next_event(ws)
    return server.connections[-1].connection_id


def one_payload(line: TranscriptLine) -> str:
    payloads = [key for key in ("event", "frame", "meta") if key in line.record]
    assert len(payloads) == 1, line.record
    return payloads[0]


def test_a_transcript_file_holds_every_frame_in_the_shared_format(tmp_path: Path) -> None:
    async def body() -> tuple[str, list[str]]:
        async with serving(record_dir=tmp_path) as server:
            connection_id = await ga_session(server, protocols=("realtime",))
            record = await server.connections[0].finished()
            return connection_id, record.recording.lines

    connection_id, memory = run(body())
    text = (tmp_path / f"{connection_id}.jsonl").read_text(encoding="ascii")
    assert text.splitlines() == memory
    lines = list(parse_lines(text.splitlines()))
    assert len(lines) == len(memory) and all(line.syntax_error is None for line in lines)
    assert [one_payload(line) for line in lines].count("event") == 1 + 3 + 5 + 2
    assert {line.direction for line in lines} == {"client", "server", "meta"}
    times = [line.record["t_ms"] for line in lines]
    assert times == sorted(times) and times[0] == 0.0
    frames = [line.record["frame"] for line in lines if "frame" in line.record]
    assert frames == [
        {"opcode": "TEXT", "data": "not json"},
        {"opcode": "BINARY", "size_bytes": 64},
    ]
    handshake = lines[0].meta
    assert handshake is not None
    assert handshake["kind"] == "handshake" and handshake["http_status"] == 101
    assert (handshake["path"], handshake["query"]) == ("/v1/realtime", "model=gpt-realtime")
    assert (handshake["subprotocol"], handshake["dialect"]) == ("realtime", "ga")
    assert handshake["request_headers"]["Authorization"] == "Bearer <redacted>"
    assert KEY not in text
    closes = [line.meta for line in lines if line.meta and line.meta["kind"] == "close"]
    assert [close["from"] for close in closes] == ["client", "server"]


def test_non_ascii_is_escaped_and_round_trips(tmp_path: Path) -> None:
    async def body() -> list[TranscriptLine]:
        async with serving() as server:
            await ga_session(server)
            return (await server.connections[0].finished()).recording.transcript()

    lines = run(body())
    sent = next(line.event for line in lines if line.direction == "client" and line.event)
    assert sent == GA_CLIENT_EVENTS[0]


def test_ga_and_beta_transcripts_pass_the_schema_check() -> None:
    async def body() -> list[list[TranscriptLine]]:
        async with serving() as server:
            await ga_session(server)
            async with aiohttp_client(
                server, protocols=("realtime", "openai-beta.realtime-v1")
            ) as ws:
                await next_event(ws)
                await ws.send_json({"type": "session.update", "session": {"voice": "marin"}})
                await next_event(ws)
            finished = [await record.finished() for record in server.connections]
            return [record.recording.transcript() for record in finished]

    validator = EventValidator()
    ga, beta = run(body())
    for lines, dialect in ((ga, "ga"), (beta, "beta")):
        report = check_schema(lines, validator)
        assert report.ok, "\n".join(map(str, report.problems))
        assert report.dialect == dialect
        assert report.events_checked + sum(report.skipped.values()) == len(lines)


def test_long_garbage_is_recorded_by_size() -> None:
    recording = Recording("conn-test", 0.0, None)
    garbage = "x" * (MAX_TEXT_RECORDED + 1)
    recording.frame(0.0125, "client", text_frame(garbage))
    assert json.loads(recording.lines[0]) == {
        "t_ms": 12.5,
        "dir": "client",
        "frame": {"opcode": "TEXT", "size_bytes": MAX_TEXT_RECORDED + 1},
    }


def test_transcripts_can_go_to_files_only(tmp_path: Path) -> None:
    async def body() -> None:
        async with (
            serving(record_dir=tmp_path, transcripts_in_memory=False) as server,
            aiohttp.ClientSession() as http,
        ):
            url = f"{server.url}/realtime?model=gpt-realtime"
            async with http.ws_connect(url, headers=auth_headers()) as ws:
                await ws.receive_json()
            record = await server.connections[0].finished()
            control = f"{server.http_url}/_mock/connections/{record.connection_id}/transcript"
            async with http.get(control) as response:
                assert response.status == 404
                assert str(tmp_path) in await response.text()
        assert record.recording.lines == []
        written = (tmp_path / f"{record.connection_id}.jsonl").read_text().splitlines()
        assert json.loads(written[1])["event"]["type"] == "session.created"

    run(body())
