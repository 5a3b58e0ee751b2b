"""What `privacy` hides from logs and traces: audio payloads and everything the people on the
call said or were told (text, transcripts, instructions, function arguments and outputs).

Redacted values stay strings of the same field, so a redacted trace still validates; only
their length is kept, which is what a support engineer needs to see.
"""

from __future__ import annotations

from typing import Any

# String fields that carry audio (base64) or words, in any event of any dialect, and in the
# Chat / Responses bodies and streams (`content` of messages, `input`, logprob `token`s).
PRIVATE_FIELDS = frozenset(
    {"audio", "delta", "text", "transcript", "instructions", "arguments", "output", "refusal"}
    | {"content", "input", "token"}
)


def redacted(value: str) -> str:
    return f"<redacted {len(value)} chars>"


def redact(value: Any) -> Any:
    """A copy of `value` with every private string field replaced by its length."""
    if isinstance(value, dict):
        return {
            key: redacted(item) if key in PRIVATE_FIELDS and isinstance(item, str) else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value
