"""One dialect rule for the mock and the validator (rtproto.handshake.dialect_of).

The two used to disagree: with `OpenAI-Beta: realtime=v1, assistants=v2` the mock played beta
while the validator judged GA, and with the subprotocol `openai-beta.realtime-v1x` the validator
said beta while the mock played GA. The rule now: the header is a comma-separated list, one of
whose items must be `realtime=v1` (any case and spacing); a subprotocol matches exactly.
"""

from __future__ import annotations

from typing import Any

import pytest

from realtime_conformance.conformance.checks.schema import detect_dialect
from realtime_conformance.mockserver.options import SimulatedModel
from realtime_conformance.rtproto.catalogue import load_catalogue
from realtime_conformance.rtproto.handshake import HandshakeRequest, dialect_of
from realtime_conformance.rtproto.server.realtime.timing import Timing
from realtime_conformance.rtproto.transcript import dialect_from_handshake, parse_lines
from tests.support.mock_behaviours import aiohttp_client, auth_headers, next_event, run, serving

# (extra headers, offered subprotocols, the dialect the rule gives)
CASES: list[tuple[dict[str, str], tuple[str, ...], str]] = [
    ({"OpenAI-Beta": "realtime=v1, assistants=v2"}, (), "beta"),
    ({"OpenAI-Beta": "assistants=v2,REALTIME = v1"}, (), "beta"),
    ({"OpenAI-Beta": "realtime=v1x"}, (), "ga"),
    ({}, ("realtime", "openai-beta.realtime-v1x"), "ga"),
    ({}, ("realtime", "openai-beta.realtime-v1"), "beta"),
    ({"OpenAI-Beta": "assistants=v2"}, ("realtime",), "ga"),
]
IDS = ["header-list", "header-case-spacing", "header-v1x", "subprotocol-v1x", "subprotocol", "ga"]


async def mock_session(headers: dict[str, str], protocols: tuple[str, ...]) -> dict[str, Any]:
    """What the mock played (its first event) and the transcript it recorded."""
    factory = SimulatedModel(timing=Timing.instant())
    async with serving(behaviour_factory=factory) as server:
        async with aiohttp_client(
            server, headers={**auth_headers(), **headers}, protocols=protocols
        ) as ws:
            first = await next_event(ws)
        record = await server.connections[-1].finished()
        return {"first": first, "lines": record.recording.lines}


def played_dialect(session_created: dict[str, Any]) -> str:
    """GA's session.created says `session.type`; beta's flat session has none."""
    assert session_created["type"] == "session.created"
    return "ga" if session_created["session"].get("type") == "realtime" else "beta"


@pytest.mark.parametrize(("headers", "protocols", "dialect"), CASES, ids=IDS)
def test_the_mock_and_the_validator_agree(
    headers: dict[str, str], protocols: tuple[str, ...], dialect: str
) -> None:
    seen = run(mock_session(headers, protocols))
    lines = list(parse_lines(seen["lines"]))
    handshake = lines[0].meta
    assert handshake is not None and handshake["kind"] == "handshake"
    assert played_dialect(seen["first"]) == dialect
    assert handshake["dialect"] == dialect
    assert dialect_from_handshake(handshake) == dialect
    assert detect_dialect(lines, load_catalogue()) == dialect


@pytest.mark.parametrize(("headers", "protocols", "dialect"), CASES, ids=IDS)
def test_a_recorded_handshake_alone_gives_the_same_dialect(
    headers: dict[str, str], protocols: tuple[str, ...], dialect: str
) -> None:
    """A vendor's log: only the handshake meta, headers as the client sent them."""
    request_headers = {**headers}
    if protocols:
        request_headers["Sec-WebSocket-Protocol"] = ", ".join(protocols)
    meta = {"kind": "handshake", "http_status": 101, "request_headers": request_headers}
    request = HandshakeRequest.from_pairs("/v1/realtime", {}, request_headers.items())
    assert dialect_from_handshake(meta) == dialect_of(request) == dialect


def test_a_handshake_without_headers_says_nothing() -> None:
    assert dialect_from_handshake({"kind": "handshake", "http_status": 101}) is None
    assert dialect_from_handshake({"kind": "close", "request_headers": {}}) is None
