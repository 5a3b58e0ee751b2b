"""Abusive HTTP input gets the API's error shape, never a 5xx, a plain-text body or a quote of
the input; half-open connections are closed; limits come from the options."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from dataclasses import replace
from typing import Any

import aiohttp
import pytest

from realtime_conformance.mockserver import RunningServer, ServerOptions, running_server
from realtime_conformance.mockserver.cli import add_serve_arguments, options_from_args
from realtime_conformance.rtproto.api_errors import INVALID_JSON_MESSAGE
from tests.support.mock_behaviours import KEY, auth_headers, run

SECRET = "sk-proj-" + "S3CR3T" * 11_000  # a 64 KB key: too long for any header line
BAD_BODIES = {
    "deep nesting": b'{"model": "gpt-5", "input": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "huge integer": b'{"model": "gpt-5", "input": "hi", "max_output_tokens": ' + b"9" * 5000 + b"}",
    "lone surrogate": b'{"model": "gpt-5", "input": "\\ud800", "stream": true}',
    "NaN": b'{"model": "gpt-5", "input": "hi", "temperature": NaN}',
    "not UTF-8": b'{"model": "gpt-5", "input": "\xff\xfe"}',
}


def quiet_options(**overrides: Any) -> ServerOptions:
    return replace(ServerOptions(ping_interval_s=None), **overrides)


def assert_api_error(status: int, body: bytes, expected_status: int) -> dict[str, Any]:
    assert status == expected_status, body[:300]
    answer: dict[str, Any] = json.loads(body)
    assert set(answer["error"]) == {"message", "type", "param", "code"}, answer
    return answer


async def request(
    server: RunningServer, method: str, path: str, **kwargs: Any
) -> tuple[int, bytes]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, f"{server.http_url}{path}", **kwargs) as response,
    ):
        return response.status, await response.read()


@pytest.mark.parametrize("path", ["/v1/responses", "/v1/chat/completions"])
@pytest.mark.parametrize("kind", sorted(BAD_BODIES))
def test_a_body_the_decoder_refuses_gets_the_invalid_json_400(path: str, kind: str) -> None:
    async def body() -> None:
        async with running_server(quiet_options()) as server:
            headers = {**auth_headers(), "Content-Type": "application/json"}
            status, answer = await request(
                server, "POST", path, data=BAD_BODIES[kind], headers=headers
            )
            error = assert_api_error(status, answer, 400)["error"]
            assert error["message"] == INVALID_JSON_MESSAGE

    run(body())


def test_a_50_mb_body_gets_an_api_shaped_413_before_it_is_read() -> None:
    async def body() -> None:
        async with running_server(quiet_options()) as server:
            data = b'{"input": "' + b"a" * (50 * 1024 * 1024) + b'"}'
            headers = {**auth_headers(), "Content-Type": "application/json"}
            try:
                status, answer = await request(
                    server, "POST", "/v1/responses", data=data, headers=headers
                )
            except aiohttp.ClientOSError:  # the server may stop reading and close first
                pytest.skip("the connection closed before the answer was read")
            error = assert_api_error(status, answer, 413)["error"]
            assert str(server.state.options.max_body_bytes) in error["message"]

    run(body())


def test_the_body_limit_is_an_option() -> None:
    async def body() -> None:
        async with running_server(quiet_options(max_body_bytes=1000)) as server:
            data = json.dumps({"model": "gpt-5", "input": "a" * 2000})
            headers = {**auth_headers(), "Content-Type": "application/json"}
            status, answer = await request(
                server, "POST", "/v1/chat/completions", data=data, headers=headers
            )
            assert_api_error(status, answer, 413)

    run(body())


def test_the_control_api_answers_a_body_that_is_no_json_with_an_api_shaped_400() -> None:
    async def body() -> None:
        async with running_server(quiet_options()) as server:
            for data in (b"not json", b"[1, 2]", b'{"id": 5}', b"[" * 100_000):
                status, answer = await request(server, "PUT", "/_mock/scenario", data=data)
                assert_api_error(status, answer, 400)

    run(body())


def test_a_plain_get_of_the_realtime_endpoint_gets_an_api_shaped_426() -> None:
    async def body() -> None:
        async with running_server(quiet_options()) as server:
            status, answer = await request(server, "GET", "/v1/realtime", headers=auth_headers())
            assert_api_error(status, answer, 426)

    run(body())


async def raw_exchange(server: RunningServer, data: bytes, timeout_s: float = 5.0) -> bytes:
    """Send raw bytes; everything the server answers until it closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(data)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(-1), timeout_s)
    writer.close()
    return answer


def test_a_64_kb_authorization_header_is_refused_without_quoting_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def body() -> bytes:
        async with running_server(quiet_options()) as server:
            head = (
                "POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                f"Authorization: Bearer {SECRET}\r\n\r\n{{}}"
            )
            return await raw_exchange(server, head.encode())

    with caplog.at_level(logging.DEBUG):
        answer = run(body())
    status_line, _, rest = answer.partition(b"\r\n")
    assert b" 400 " in status_line
    assert_api_error(400, rest.partition(b"\r\n\r\n")[2], 400)
    assert b"S3CR3T" not in answer
    assert "S3CR3T" not in caplog.text
    assert all("S3CR3T" not in str(record.args) for record in caplog.records)


def test_a_connection_that_never_finishes_its_headers_is_closed() -> None:
    async def body() -> float:
        async with running_server(quiet_options(header_timeout_s=0.3)) as server:
            loop = asyncio.get_running_loop()
            started = loop.time()
            answer = await raw_exchange(server, b"GET /v1/realtime HTTP/1.1\r\nHost: x\r\n")
            assert answer == b""
            return loop.time() - started

    assert 0.25 <= run(body()) < 5.0


def test_connections_past_the_limit_get_a_429_while_the_control_api_still_answers() -> None:
    async def body() -> None:
        async with (
            running_server(quiet_options(max_connections=1)) as server,
            aiohttp.ClientSession() as session,
            session.ws_connect(
                f"{server.url}/realtime?model=gpt-realtime", headers=auth_headers()
            ) as ws,
        ):
            await ws.receive()  # session.created: the one connection allowed is served
            hello = {"model": "gpt-5", "input": "hi"}
            status, answer = await request(
                server, "POST", "/v1/responses", json=hello, headers=auth_headers()
            )
            assert_api_error(status, answer, 429)
            status, _ = await request(server, "GET", "/_mock/connections")
            assert status == 200

    run(body())


def test_an_unknown_key_is_masked_as_the_real_api_masks_it() -> None:
    async def body() -> None:
        async with running_server(quiet_options(api_keys={"sk-good"})) as server:
            headers = {"Authorization": f"Bearer {KEY}"}
            status, answer = await request(
                server, "POST", "/v1/responses", json={"model": "gpt-5"}, headers=headers
            )
            message = assert_api_error(status, answer, 401)["error"]["message"]
            assert KEY not in message and KEY[8:-4] not in message

    run(body())


def test_the_limits_are_serve_flags_and_unset_ones_keep_the_options_defaults() -> None:
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser)
    given = ["--max-frame-bytes", "2048", "--max-body-bytes", "4096", "--max-connections", "7"]
    given += ["--header-timeout", "1.5", "--records-kept", "9", "--transcript-cap-bytes", "1000"]
    options = options_from_args(parser.parse_args(given))
    assert (options.max_message_bytes, options.max_body_bytes, options.max_connections) == (
        2048,
        4096,
        7,
    )
    assert (options.header_timeout_s, options.connections_kept) == (1.5, 9)
    assert options.transcript_cap_bytes == 1000
    defaults = options_from_args(parser.parse_args([]))
    assert defaults.max_body_bytes == ServerOptions().max_body_bytes
    with pytest.raises(SystemExit):
        parser.parse_args(["--max-connections", "0"])
