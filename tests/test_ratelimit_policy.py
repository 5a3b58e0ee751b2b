"""Rate limits for the HTTP APIs: headers on every answer, and the 429 the SDK retries on."""

from __future__ import annotations

import httpx2
import openai
import pytest

from realtime_conformance.rtproto.server.ratelimit import RateLimitPolicy, RateLimits, format_reset
from tests.support.streams import error_response, sdk_client

T0 = 1_000.0


def test_headers_count_down_and_refill_with_time() -> None:
    policy = RateLimitPolicy(RateLimits(requests_per_minute=60, tokens_per_minute=6000))
    first = policy.admit(T0, tokens=100, model="gpt-4.1")
    assert first.allowed
    assert first.headers == {
        "x-ratelimit-limit-requests": "60",
        "x-ratelimit-limit-tokens": "6000",
        "x-ratelimit-remaining-requests": "59",
        "x-ratelimit-remaining-tokens": "5900",
        "x-ratelimit-reset-requests": "1s",
        "x-ratelimit-reset-tokens": "1s",
    }
    later = policy.admit(T0 + 0.5, tokens=100, model="gpt-4.1")
    assert later.headers["x-ratelimit-remaining-requests"] == "58"
    assert later.headers["x-ratelimit-reset-requests"] == "1.5s"


def test_a_request_over_the_limit_gets_a_429_with_retry_after() -> None:
    policy = RateLimitPolicy(RateLimits(requests_per_minute=2, tokens_per_minute=1000))
    assert policy.admit(T0, 10, "gpt-4.1").allowed and policy.admit(T0, 10, "gpt-4.1").allowed
    refused = policy.admit(T0, 10, "gpt-4.1")
    assert refused.error is not None
    assert refused.error.status == 429 and refused.error.code == "rate_limit_exceeded"
    assert refused.error.type == "requests"
    assert refused.error.message == (
        "Rate limit reached for gpt-4.1 in organization org-mockorganization000000 on requests "
        "per min (RPM): Limit 2, Used 2, Requested 1. Please try again in 30s. Visit "
        "https://platform.openai.com/account/rate-limits to learn more."
    )
    assert dict(refused.error.headers) == {"retry-after": "30", "retry-after-ms": "30000"}
    assert refused.headers["x-ratelimit-remaining-requests"] == "0"
    assert policy.admit(T0 + 30, 10, "gpt-4.1").allowed


def test_a_request_too_big_for_the_token_allowance_is_refused_on_tokens() -> None:
    policy = RateLimitPolicy(RateLimits(requests_per_minute=100, tokens_per_minute=600))
    refused = policy.admit(T0, 900, "gpt-4o")
    assert refused.error is not None and refused.error.type == "tokens"
    assert refused.error.message.startswith(
        "Request too large for gpt-4o in organization org-mockorganization000000 on tokens per "
        "min (TPM): Limit 600, Requested 900."
    )
    assert refused.error.headers == ()
    spent = policy.admit(T0, 500, "gpt-4o")
    assert spent.allowed and spent.headers["x-ratelimit-remaining-tokens"] == "100"
    waiting = policy.admit(T0, 200, "gpt-4o").error
    assert waiting is not None and "Used 500, Requested 200" in waiting.message


def test_exhausting_forces_the_next_request_to_be_refused() -> None:
    policy = RateLimitPolicy()
    policy.exhaust(T0)
    assert not policy.admit(T0, 1, "gpt-4.1").allowed


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.006, "6ms"), (1, "1s"), (20.5, "20.5s"), (90, "1m30s"), (0, "0ms")]
)
def test_durations_are_written_as_the_real_headers_write_them(seconds: float, text: str) -> None:
    assert format_reset(seconds) == text


def test_the_sdk_reads_the_429() -> None:
    policy = RateLimitPolicy(RateLimits(requests_per_minute=1))
    policy.exhaust(T0)
    refusal = policy.admit(T0, 1, "gpt-4.1").error
    assert refusal is not None

    def handler(request: httpx2.Request) -> httpx2.Response:
        return error_response(refusal)

    with pytest.raises(openai.RateLimitError) as caught:
        sdk_client(handler).responses.create(model="gpt-4.1", input="Hi")
    assert caught.value.code == "rate_limit_exceeded"
    assert caught.value.response.headers["retry-after-ms"] == "60000"
