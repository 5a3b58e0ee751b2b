"""Plausible token counts for `response.done` and the `rate_limits.updated` that follows it.

Estimates, shaped like the recorded ones: text is about four characters a token; audio is one
token per 50 ms (the sip-gateway trace: 147 audio tokens for ~7 s of speech); cached input
comes in blocks of 64 tokens (capture p08: 120 input -> 64 cached, 139 -> 128).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from realtime_conformance.rtproto.wire import AUDIO_MS_PER_TOKEN, tokens_rate_limit

CHARS_PER_TOKEN = 4
CACHE_BLOCK = 64


def text_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def audio_tokens(audio_ms: float) -> int:
    return math.ceil(audio_ms / AUDIO_MS_PER_TOKEN)


@dataclass(frozen=True)
class Usage:
    input_text: int = 0
    input_audio: int = 0
    output_text: int = 0
    output_audio: int = 0

    @property
    def total(self) -> int:
        return self.input_text + self.input_audio + self.output_text + self.output_audio

    def as_dict(self) -> dict[str, Any]:
        input_tokens = self.input_text + self.input_audio
        cached = input_tokens // CACHE_BLOCK * CACHE_BLOCK
        cached_text = min(cached, self.input_text)
        return {
            "total_tokens": self.total,
            "input_tokens": input_tokens,
            "output_tokens": self.output_text + self.output_audio,
            "input_token_details": {
                "text_tokens": self.input_text,
                "audio_tokens": self.input_audio,
                "image_tokens": 0,
                "cached_tokens": cached,
                "cached_tokens_details": {
                    "text_tokens": cached_text,
                    "audio_tokens": cached - cached_text,
                    "image_tokens": 0,
                },
            },
            "output_token_details": {
                "text_tokens": self.output_text,
                "audio_tokens": self.output_audio,
            },
        }


class RateLimits:
    """Tokens spent in this session, as `rate_limits.updated` reports them: the GA captures show
    a `tokens` entry only (`rtproto.wire.tokens_rate_limit`)."""

    def __init__(self) -> None:
        self.tokens = 0

    def spend(self, tokens: int) -> list[dict[str, Any]]:
        """Count one response's tokens; the entries as they stand after it."""
        self.tokens += tokens
        return self.entries()

    def refund(self, tokens: int) -> None:
        """Give back tokens a response was charged for but did not produce (it was cut)."""
        self.tokens -= tokens

    def entries(self) -> list[dict[str, Any]]:
        return [tokens_rate_limit(self.tokens)]
