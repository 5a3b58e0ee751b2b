"""Rate limits of the HTTP APIs: the `x-ratelimit-*` headers of every answer, and the 429.

The real API limits requests and tokens per minute, refilling continuously, and reports on every
answer `x-ratelimit-limit-requests|tokens`, `x-ratelimit-remaining-requests|tokens` and
`x-ratelimit-reset-requests|tokens` (time until full, written like `6ms`, `1s`, `1m30s`). A request
over a limit gets 429 with code `rate_limit_exceeded` ("Request too large ..." when it exceeds
the per-minute token limit by itself), the exhausted limit as the error `type`
(`requests` or `tokens`), and `retry-after` (seconds) plus `retry-after-ms`, which the official
SDKs read before retrying. Time is passed in (`now`, seconds); nothing here reads a clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from realtime_conformance.rtproto.api_errors import ApiError

RATE_LIMIT_DOCS = "https://platform.openai.com/account/rate-limits"
UNIT_NAMES = {"requests": "requests per min (RPM)", "tokens": "tokens per min (TPM)"}


def format_reset(seconds: float) -> str:
    """`6ms`, `1s`, `20.5s`, `1m30s`: how the real headers write a duration."""
    if seconds < 1:
        return f"{max(0, round(seconds * 1000))}ms"
    minutes, rest = divmod(seconds, 60)
    rest_text = f"{rest:.3f}".rstrip("0").rstrip(".") + "s"
    return f"{int(minutes)}m{rest_text}" if minutes else rest_text


class Bucket:
    """A per-minute allowance that refills continuously."""

    def __init__(self, per_minute: int) -> None:
        self.limit = per_minute
        self.level = float(per_minute)
        self.at: float | None = None

    def refill(self, now: float) -> None:
        if self.at is not None:
            self.level = min(self.limit, self.level + (now - self.at) * self.limit / 60)
        self.at = now

    def wait_for(self, amount: int) -> float:
        """Seconds until `amount` fits (0 when it fits now)."""
        missing = min(amount, self.limit) - self.level
        return max(0.0, missing * 60 / self.limit)

    def until_full(self) -> float:
        return (self.limit - self.level) * 60 / self.limit

    def remaining(self) -> int:
        return max(0, math.floor(self.level))


@dataclass(frozen=True)
class RateLimits:
    requests_per_minute: int = 10_000
    tokens_per_minute: int = 30_000_000
    organization: str = "org-mockorganization000000"


@dataclass(frozen=True)
class Admission:
    """The policy's answer to one request: the headers to send, and the 429 when refused."""

    headers: dict[str, str]
    error: ApiError | None = None

    @property
    def allowed(self) -> bool:
        return self.error is None


class RateLimitPolicy:
    """Admits or refuses requests against per-minute request and token limits."""

    def __init__(self, limits: RateLimits | None = None) -> None:
        self.limits = limits or RateLimits()
        self.requests = Bucket(self.limits.requests_per_minute)
        self.tokens = Bucket(self.limits.tokens_per_minute)

    def exhaust(self, now: float) -> None:
        """Use up the request allowance: the next request is refused (scenarios force 429s so)."""
        self.requests.refill(now)
        self.requests.level = 0.0

    def admit(self, now: float, tokens: int, model: str) -> Admission:
        """Charge one request of `tokens` estimated tokens, or refuse it with a 429."""
        for bucket in (self.requests, self.tokens):
            bucket.refill(now)
        if tokens > self.tokens.limit:
            return Admission(self.headers(), self._too_large(tokens, model))
        waits = {"requests": self.requests.wait_for(1), "tokens": self.tokens.wait_for(tokens)}
        unit = max(waits, key=lambda name: waits[name])
        if waits[unit] > 0:
            return Admission(self.headers(), self._refusal(unit, waits[unit], tokens, model))
        self.requests.level -= 1
        self.tokens.level -= tokens
        return Admission(self.headers())

    def headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit-requests": str(self.requests.limit),
            "x-ratelimit-limit-tokens": str(self.tokens.limit),
            "x-ratelimit-remaining-requests": str(self.requests.remaining()),
            "x-ratelimit-remaining-tokens": str(self.tokens.remaining()),
            "x-ratelimit-reset-requests": format_reset(self.requests.until_full()),
            "x-ratelimit-reset-tokens": format_reset(self.tokens.until_full()),
        }

    def _too_large(self, requested: int, model: str) -> ApiError:
        """A request that could never fit: no wait helps, so no retry-after."""
        message = (
            f"Request too large for {model} in organization {self.limits.organization} on "
            f"{UNIT_NAMES['tokens']}: Limit {self.tokens.limit}, Requested {requested}. The input "
            f"or output tokens must be reduced in order to run successfully. Visit "
            f"{RATE_LIMIT_DOCS} to learn more."
        )
        return ApiError(429, message, type="tokens", code="rate_limit_exceeded")

    def _refusal(self, unit: str, wait: float, requested: int, model: str) -> ApiError:
        bucket = self.requests if unit == "requests" else self.tokens
        used = bucket.limit - bucket.remaining()
        amount = 1 if unit == "requests" else requested
        message = (
            f"Rate limit reached for {model} in organization {self.limits.organization} on "
            f"{UNIT_NAMES[unit]}: Limit {bucket.limit}, Used {used}, Requested {amount}. "
            f"Please try again in {format_reset(wait)}. Visit {RATE_LIMIT_DOCS} to learn more."
        )
        retry = (
            ("retry-after", str(math.ceil(wait))),
            ("retry-after-ms", str(math.ceil(wait * 1000))),
        )
        return ApiError(429, message, type=unit, code="rate_limit_exceeded", headers=retry)
