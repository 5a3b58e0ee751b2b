"""The reference HTTP clients' retry rule (refclient.http_retry), the official SDK's: which
answers are retried, how long the wait is, and how many times; and the rule against the
installed `openai` package's own retry decisions on the same answers."""

from __future__ import annotations

import email.utils
import time

import pytest

from realtime_conformance.refclient.http_retry import (
    DEFAULT_MAX_RETRIES,
    MAX_DELAY_S,
    retry_after_s,
    retry_delay_s,
    should_retry,
)


def test_the_stated_wait_is_read_from_retry_after_ms_first_then_retry_after() -> None:
    assert retry_after_s({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after_s({"Retry-After": "2"}) == 2.0
    assert retry_after_s({}) is None
    assert retry_after_s({"retry-after-ms": "soon"}) is None
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 28 <= (retry_after_s({"retry-after": later}) or 0) <= 31
    assert retry_after_s({"retry-after": "not a date"}) is None


@pytest.mark.parametrize(
    ("status", "headers", "retried"),
    [
        (429, {}, True),
        (500, {}, True),
        (503, {}, True),
        (408, {}, True),
        (400, {}, False),
        (401, {}, False),
        (404, {}, False),
        (429, {"x-should-retry": "false"}, False),
        (400, {"x-should-retry": "true"}, True),
        (429, {"retry-after": "121"}, False),
    ],
)
def test_which_answers_are_retried(status: int, headers: dict[str, str], retried: bool) -> None:
    assert should_retry(status, headers) is retried


def test_a_stated_wait_up_to_120_s_is_honoured_else_the_backoff() -> None:
    assert retry_delay_s(429, {"retry-after": "1"}, 0, DEFAULT_MAX_RETRIES) == 1.0
    assert retry_delay_s(429, {"retry-after-ms": "120000"}, 0, 2) == 120.0
    assert retry_delay_s(429, {"retry-after": "121"}, 0, 2) is None
    for stated in ({"retry-after": "0"}, {"retry-after-ms": "x"}, {}):
        first = retry_delay_s(429, stated, 0, 2)
        second = retry_delay_s(429, stated, 1, 2)
        assert first is not None and 0.375 <= first <= 0.5  # 0.5 s less up to 25 % jitter
        assert second is not None and 0.75 <= second <= 1.0
    assert 0.75 * MAX_DELAY_S <= (retry_delay_s(500, {}, 10, 20) or 0) <= MAX_DELAY_S


def test_retries_stop_after_max_retries_as_the_sdk_default_of_two() -> None:
    assert DEFAULT_MAX_RETRIES == 2
    assert retry_delay_s(429, {"retry-after": "1"}, 1, 2) == 1.0
    assert retry_delay_s(429, {"retry-after": "1"}, 2, 2) is None
    assert retry_delay_s(429, {"retry-after": "1"}, 0, 0) is None


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        (429, {"retry-after": "1"}),
        (429, {"retry-after-ms": "250"}),
        (429, {"retry-after": "121"}),
        (503, {}),
        (400, {}),
        (400, {"x-should-retry": "true"}),
        (429, {"x-should-retry": "false"}),
    ],
)
def test_the_rule_decides_as_the_installed_openai_package(
    status: int, headers: dict[str, str]
) -> None:
    openai = pytest.importorskip("openai")
    httpx = pytest.importorskip("httpx2")  # the SDK's HTTP library (openai 3.x)
    client = openai.OpenAI(api_key="sk-test", base_url="http://127.0.0.1:9/v1")
    response = httpx.Response(status, headers=headers, request=httpx.Request("POST", "http://x"))
    sdk_retries = client._should_retry(response)
    assert should_retry(status, headers) is sdk_retries
    stated = client._parse_retry_after_header(response.headers)
    assert retry_after_s(headers) == stated
