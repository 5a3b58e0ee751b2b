"""The mock's HTTP endpoints: the real API's error shapes and statuses, rate limits, SSE framing,
stored responses, and transcripts of every exchange."""

from __future__ import annotations

from typing import Any

import aiohttp

from realtime_conformance.conformance.checks.schema import check_schema
from realtime_conformance.mockserver.http_common import NO_KEY_MESSAGE
from realtime_conformance.rtproto.server.pacing import Pacing
from realtime_conformance.rtproto.server.ratelimit import RateLimits
from realtime_conformance.rtproto.sse import SseParser
from realtime_conformance.rtproto.validation import EventValidator
from tests.support.mock_behaviours import auth_headers, run, serving

TEXT = {"model": "gpt-4.1", "input": "Say hello."}
CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Say hello."}]}


async def post(url: str, body: Any, headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
    async with aiohttp.ClientSession() as http, http.post(url, json=body, headers=headers) as resp:
        payload = (
            await resp.json() if resp.content_type == "application/json" else await resp.read()
        )
        return resp.status, payload, resp.headers


def test_missing_and_wrong_keys_get_the_real_401s() -> None:
    async def body() -> None:
        async with serving(api_keys={"sk-right-key-0123456789"}) as server:
            url = f"{server.http_url}/v1/responses"
            status, missing, _ = await post(url, TEXT)
            assert (status, missing["error"]["message"]) == (401, NO_KEY_MESSAGE)
            status, wrong, _ = await post(url, TEXT, auth_headers("sk-wrong-key-0123456789"))
            assert status == 401 and wrong["error"]["code"] == "invalid_api_key"
            assert wrong["error"]["message"].startswith("Incorrect API key provided: sk-wrong")

    run(body())


def test_invalid_body_and_unknown_paths_answer_in_the_error_shape() -> None:
    async def body() -> None:
        async with serving() as server:
            status, invalid, _ = await post(
                f"{server.http_url}/v1/responses", {"input": "hi"}, auth_headers()
            )
            assert status == 400
            assert set(invalid["error"]) == {"message", "type", "param", "code"}
            assert invalid["error"]["param"] == "model"
            status, missing, _ = await post(f"{server.http_url}/v1/nothing", {}, auth_headers())
            assert (status, missing["error"]["message"]) == (404, "Invalid URL (POST /v1/nothing)")

    run(body())


def test_rate_limit_answers_429_with_retry_after_and_headers() -> None:
    async def body() -> None:
        limits = RateLimits(requests_per_minute=1)
        async with serving(rate_limits=limits, http_pacing=Pacing.instant()) as server:
            url = f"{server.http_url}/v1/chat/completions"
            first, _, headers = await post(url, CHAT, auth_headers())
            assert first == 200 and headers["x-ratelimit-limit-requests"] == "1"
            second, refused, headers = await post(url, CHAT, auth_headers())
            assert second == 429 and refused["error"]["code"] == "rate_limit_exceeded"
            assert float(headers["retry-after"]) > 0

    run(body())


def test_streams_are_framed_as_the_real_apis_frame_them_and_recorded() -> None:
    async def body() -> None:
        async with serving(http_pacing=Pacing.instant()) as server:
            _, responses_bytes, _ = await post(
                f"{server.http_url}/v1/responses", TEXT | {"stream": True}, auth_headers()
            )
            _, chat_bytes, _ = await post(
                f"{server.http_url}/v1/chat/completions", CHAT | {"stream": True}, auth_headers()
            )
            records = [(await record.finished()).recording for record in server.connections]
        responses_frames = SseParser().feed(responses_bytes)
        assert all(frame.event == frame.json()["type"] for frame in responses_frames)
        assert responses_frames[-1].json()["type"] == "response.completed"
        chat_frames = SseParser().feed(chat_bytes)
        assert chat_frames[-1].data == "[DONE]" and all(f.event is None for f in chat_frames)
        validator = EventValidator()
        for recording in records:
            report = check_schema(recording.transcript(), validator)
            assert report.ok and report.events_checked > 3, [str(p) for p in report.problems]

    run(body())


def test_a_stored_response_is_retrieved_and_chained() -> None:
    async def body() -> None:
        async with serving(http_pacing=Pacing.instant()) as server:
            url = f"{server.http_url}/v1/responses"
            _, first, _ = await post(url, TEXT, auth_headers())
            async with aiohttp.ClientSession() as http:
                got = await (await http.get(f"{url}/{first['id']}", headers=auth_headers())).json()
            assert got["id"] == first["id"] and got["status"] == "completed"
            _, chained, _ = await post(
                url, TEXT | {"previous_response_id": first["id"]}, auth_headers()
            )
            assert chained["previous_response_id"] == first["id"]
            status, unknown, _ = await post(
                url, TEXT | {"previous_response_id": "resp_nope"}, auth_headers()
            )
            assert status == 404 and "resp_nope" in unknown["error"]["message"]

    run(body())
