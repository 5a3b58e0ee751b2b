"""The reference HTTP clients' retry rule (refclient.http_retry), the official SDK's: which
answers are retried, how long the wait is, and how many times."""

from __future__ import annotations

import email.utils
import time

import pytest

from refclient.http_retry import (
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
    ],
)
def test_which_answers_are_retried(status: int, headers: dict[str, str], retried: bool) -> None:
    assert should_retry(status, headers) is retried


def test_a_stated_wait_up_to_60_s_is_honoured_else_the_backoff() -> None:
    assert retry_delay_s(429, {"retry-after": "1"}, 0, DEFAULT_MAX_RETRIES) == 1.0
    assert retry_delay_s(429, {"retry-after-ms": "60000"}, 0, 2) == 60.0
    for stated in ({"retry-after": "61"}, {"retry-after": "0"}, {}):
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
