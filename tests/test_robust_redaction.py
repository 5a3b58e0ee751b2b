"""Headers are recorded by an allow-list: no value of a header outside it reaches any transcript
(in memory, on disk, through the control API) or any log line, on every kind of exchange."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from realtime_conformance.mockserver import RunningServer, ServerOptions, running_server
from realtime_conformance.mockserver.options import SimulatedModel
from realtime_conformance.rtproto.handshake import (
    ALLOWED_HEADERS,
    REDACTED,
    redact_header,
    redacted_query_string,
)
from realtime_conformance.rtproto.server.realtime.timing import Timing
from tests.support.mock_behaviours import run

KEY = "sk-proj-KEYSECRET0123456789abcdef"
# One secret per header a client might send that the allow-list leaves out.
SECRET_HEADERS = {
    "Cookie": "session=COOKIESECRET",
    "Proxy-Authorization": "Basic PROXYSECRET",
    "api-key": "APIKEYSECRET",
    "X-Api-Key": "XAPIKEYSECRET",
    "OpenAI-Organization": "org-ORGSECRET",
    "OpenAI-Project": "proj_PROJECTSECRET",
    "X-Vendor-Token": "VENDORSECRET",
}
SECRETS = [
    "KEYSECRET",
    "QUERYSECRET",
    *(value.split("=")[-1].split(" ")[-1] for value in SECRET_HEADERS.values()),
]
HEADERS = {"Authorization": f"Bearer {KEY}", "User-Agent": "robust-test/1.0", **SECRET_HEADERS}


async def realtime_session(server: RunningServer, session: aiohttp.ClientSession) -> None:
    url = f"{server.url}/realtime?model=gpt-realtime&api-key=QUERYSECRET"
    protocols = ("realtime", f"openai-insecure-api-key.{KEY}")
    async with session.ws_connect(url, headers=HEADERS, protocols=protocols) as ws:
        await ws.receive()
        await ws.send_json({"type": "response.create"})
        while (await ws.receive_json())["type"] != "response.done":
            pass


async def responses_socket(server: RunningServer, session: aiohttp.ClientSession) -> None:
    async with session.ws_connect(f"{server.http_url}/v1/responses", headers=HEADERS) as ws:
        await ws.send_json({"type": "response.create", "model": "gpt-5", "input": "hi"})
        while (await ws.receive_json())["type"] != "response.completed":
            pass


async def http_requests(server: RunningServer, session: aiohttp.ClientSession) -> None:
    bodies = [
        ("/v1/responses?api-key=QUERYSECRET", {"model": "gpt-5", "input": "hi", "stream": True}),
        ("/v1/responses", {"model": "gpt-5", "input": "hi"}),
        (
            "/v1/chat/completions",
            {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
        ),
        ("/v1/chat/completions", {"model": "gpt-4o", "stream": True, "messages": "bad"}),
    ]
    for path, body in bodies:
        async with session.post(f"{server.http_url}{path}", json=body, headers=HEADERS) as answer:
            await answer.read()
    async with session.get(f"{server.http_url}/v1/responses/resp_nope", headers=HEADERS) as answer:
        await answer.read()


async def everything_recorded(server: RunningServer, session: aiohttp.ClientSession) -> str:
    """Every transcript line in memory and through the control API, and the summaries."""
    texts = []
    for record in server.connections:
        await record.finished()
        texts += record.recording.lines
        url = f"{server.http_url}/_mock/connections/{record.connection_id}/transcript"
        async with session.get(url) as answer:
            texts.append(await answer.text())
    async with session.get(f"{server.http_url}/_mock/connections") as answer:
        texts.append(await answer.text())
    return "\n".join(texts)


def test_no_header_outside_the_allow_list_reaches_a_transcript_or_a_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model = SimulatedModel(timing=Timing.instant())
    options = ServerOptions(ping_interval_s=None, record_dir=tmp_path, behaviour_factory=model)

    async def body() -> tuple[str, int]:
        async with running_server(options) as server, aiohttp.ClientSession() as session:
            await realtime_session(server, session)
            await responses_socket(server, session)
            await http_requests(server, session)
            return await everything_recorded(server, session), len(server.connections)

    with caplog.at_level(logging.DEBUG):
        recorded, exchanges = run(body())
    files = "\n".join(path.read_text() for path in tmp_path.glob("*.jsonl"))
    assert exchanges == 7 and len(list(tmp_path.glob("*.jsonl"))) == 7
    for secret in SECRETS:
        assert secret not in recorded, secret
        assert secret not in files, secret
        assert secret not in caplog.text, secret
    assert "robust-test/1.0" in files  # an allowed header is kept as sent
    assert '"Bearer <redacted>"' in files and '"X-Vendor-Token":"<redacted>"' in files
    assert '"query":"model=gpt-realtime&api-key=<redacted>"' in files


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("stream=true&starting_after=7", "stream=true&starting_after=7"),
        (
            "model=gpt-realtime&api-key=sk-1&Token=x",
            "model=gpt-realtime&api-key=<redacted>&Token=<redacted>",
        ),
        ("", ""),
    ],
)
def test_query_parameters_outside_the_allow_list_lose_their_value(query: str, shown: str) -> None:
    assert redacted_query_string(query) == shown


@pytest.mark.parametrize("name", sorted(ALLOWED_HEADERS - {"sec-websocket-protocol"}))
def test_an_allowed_header_is_kept_and_a_long_value_cut(name: str) -> None:
    assert redact_header(name.title(), "value 1") == "value 1"
    cut = redact_header(name, "v" * 5000)
    assert len(cut) < 600 and cut.endswith("(5000 characters)")


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("Authorization", f"Bearer {KEY}", f"Bearer {REDACTED}"),
        ("Authorization", KEY, REDACTED),  # no scheme: the value may be the key itself
        ("Proxy-Authorization", "Basic dXNlcjpwYXNz", f"Basic {REDACTED}"),
        (
            "Sec-WebSocket-Protocol",
            f"realtime, openai-insecure-api-key.{KEY}",
            f"realtime, openai-insecure-api-key.{REDACTED}",
        ),
        ("X-Anything-New", "whatever", REDACTED),
    ],
)
def test_credentials_keep_their_shape_and_unknown_headers_lose_their_value(
    name: str, value: str, shown: Any
) -> None:
    assert redact_header(name, value) == shown
