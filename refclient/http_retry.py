"""When the HTTP clients retry a request the API refused, as the official `openai` package does
(3.60, `_base_client`: `max_retries` 2 by default).

Retried: 408, 409, 429 and 5xx answers, before any of the answer's stream was read (a stream
cut later is resumed or reported, never re-requested), unless `x-should-retry` says otherwise or
the server asks for a wait over 120 s. The wait is the answer's `retry-after-ms`, else
`retry-after` (seconds, or an HTTP date), when it lies in (0, 120] s; otherwise an exponential
backoff of 0.5 s doubling up to 8 s, less up to 25 % jitter.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping

DEFAULT_MAX_RETRIES = 2
INITIAL_DELAY_S = 0.5
MAX_DELAY_S = 8.0
MAX_RETRY_AFTER_S = 120.0
RETRIED_STATUSES = frozenset({408, 409, 429})


def retry_after_s(headers: Mapping[str, str]) -> float | None:
    """The server's own wait, in seconds, when it states one (None otherwise)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    try:
        if "retry-after-ms" in lowered:
            return float(lowered["retry-after-ms"]) / 1000
    except ValueError:
        pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        return None if parsed is None else email.utils.mktime_tz(parsed) - time.time()


def should_retry(status: int, headers: Mapping[str, str]) -> bool:
    stated = retry_after_s(headers)
    if stated is not None and stated > MAX_RETRY_AFTER_S:
        return False  # the server asks for longer than a caller would wait
    verdict = {name.lower(): value for name, value in headers.items()}.get("x-should-retry")
    if verdict in ("true", "false"):
        return verdict == "true"
    return status in RETRIED_STATUSES or status >= 500


def retry_delay_s(
    status: int, headers: Mapping[str, str], retries_done: int, max_retries: int
) -> float | None:
    """How long to wait before retrying this answer, or None when it is not retried."""
    if retries_done >= max_retries or not should_retry(status, headers):
        return None
    stated = retry_after_s(headers)
    if stated is not None and 0 < stated <= MAX_RETRY_AFTER_S:
        return stated
    backoff = min(INITIAL_DELAY_S * 2.0**retries_done, MAX_DELAY_S)
    return backoff * (1 - 0.25 * random.random())
