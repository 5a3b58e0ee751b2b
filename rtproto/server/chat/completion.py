"""The chunk envelope and the non-streaming `chat.completion` built from the same choices.

The non-streaming answer is what `client.chat.completions.stream()` accumulates from the chunks
(message, logprobs, finish reason, usage), plus the fields only the non-streaming shape has
(`object: "chat.completion"`, `message.annotations: []`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from realtime_conformance.rtproto.server.chat.chunks import ChoiceScript
from realtime_conformance.rtproto.server.chat.request import ChatRequest
from realtime_conformance.rtproto.server.simulation import Simulation


@dataclass(frozen=True)
class Head:
    completion_id: str
    created: int
    model: str
    fingerprint: str


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def delta_text(choices: list[dict[str, Any]]) -> str:
    """What a chunk's deltas say (content, refusal, tool arguments): what `obfuscation` pads."""
    said = []
    for choice in choices:
        delta = choice.get("delta") or {}
        said += [delta.get("content") or "", delta.get("refusal") or ""]
        said += [(call.get("function") or {}).get("arguments") or "" for call in
                 delta.get("tool_calls") or []]  # fmt: skip
    return "".join(said)


def chunk_maker(request: ChatRequest, sim: Simulation, head: Head) -> Callable[..., dict[str, Any]]:
    """Builds chunks around `choices`: the envelope every chunk of the stream shares."""
    tier = request.get("service_tier", "auto")

    def chunk(choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": head.completion_id,
            "object": "chat.completion.chunk",
            "created": head.created,
            "model": head.model,
            "service_tier": "default" if tier == "auto" else tier,
            "system_fingerprint": head.fingerprint,
            "choices": choices,
        }
        if request.include_usage:
            body["usage"] = extra.get("usage")
        if request.obfuscate:
            body["obfuscation"] = sim.obfuscation(delta_text(choices))
        return body

    return chunk


def _message(script: ChoiceScript) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": "assistant",
        "content": script.text if script.kind == "content" else None,
        "refusal": script.text if script.kind == "refusal" else None,
        "annotations": [],
    }
    if script.calls:
        message["tool_calls"] = [
            {
                "id": call.call_id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in script.calls
        ]
    return message


def non_streaming(
    head: Head, scripts: list[ChoiceScript], usage_: dict[str, Any]
) -> dict[str, Any]:
    """The answer without logprobs (`with_logprobs` adds them from the streamed entries)."""
    choices = [
        {
            "index": s.index,
            "message": _message(s),
            "logprobs": None,
            "finish_reason": s.finish_reason,
        }
        for s in scripts
    ]
    return {
        "id": head.completion_id,
        "object": "chat.completion",
        "created": head.created,
        "model": head.model,
        "choices": choices,
        "usage": usage_,
        "service_tier": "default",
        "system_fingerprint": head.fingerprint,
    }


def with_logprobs(answer: dict[str, Any], entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The answer with each choice's logprobs gathered from its streamed entries."""
    gathered: dict[int, dict[str, Any]] = {}
    for entry in entries:
        logprobs = entry.get("logprobs")
        if logprobs is None:
            continue
        into = gathered.setdefault(entry["index"], {"content": None, "refusal": None})
        for key in ("content", "refusal"):
            if logprobs.get(key) is not None:
                into[key] = [*(into[key] or []), *logprobs[key]]
    choices = [
        {**choice, "logprobs": gathered.get(choice["index"])} for choice in answer["choices"]
    ]
    return {**answer, "choices": choices}
