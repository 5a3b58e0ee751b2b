"""The Chat client's `store_context`: the conversation kept across `create_chat_completions`
calls, and its running summary (seed 001, ChatCompletionsAPIClientParameters).

What the seed says, and how it is read here:
- `storeContext` (default false): "Whether to store the context in the client". Each call's
  messages (but its system/developer instructions, which the caller sends each time) and the
  assistant's answer (choice 0) are kept and sent before the next call's messages.
- `summaryModel` (default **gpt-4o**) and `summaryPrompt` (the seed's default prompt below):
  "The API Client automatically inserts the previous summary here". After each answered call
  the client asks `summary_model` (one non-streaming request) for a new summary from the
  previous summary and the messages kept since; the summary then stands in for those messages
  (sent as one system message), so the context stays short however long the conversation.
  A failed summary request keeps the messages (nothing is lost) and is retried after the next
  call. `summary_model=None` (a Python extension) keeps every message instead.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

DEFAULT_SUMMARY_MODEL = "gpt-4o"
DEFAULT_SUMMARY_PROMPT = (
    "You are maintaining a running summary of an ongoing conversation. Below is: 1. The previous "
    "summary 2. The messages between user and assistant you need to summarize Provide a summary "
    "to reflect the information. ### Instructions: - Preserve important existing context from "
    "the previous summary - Integrate new key information, decisions, and developments - Remove "
    "outdated or redundant details - Avoid repeating unchanged information - Keep the summary "
    "concise and context-efficient - Maintain a neutral and factual tone"
)
SUMMARY_HEADING = "Summary of the conversation so far:"
INSTRUCTION_ROLES = ("system", "developer")


@dataclass
class ChatContext:
    summary_model: str | None = DEFAULT_SUMMARY_MODEL
    summary_prompt: str = DEFAULT_SUMMARY_PROMPT
    summary: str | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)  # kept, not yet summarised

    def request_messages(self, given: list[Any]) -> list[Any]:
        """The call's leading instructions, then the summary and the kept messages, then the
        rest of the call's messages."""
        lead = 0
        while lead < len(given) and _role(given[lead]) in INSTRUCTION_ROLES:
            lead += 1
        kept = [{"role": "system", "content": f"{SUMMARY_HEADING}\n{self.summary}"}]
        kept = (kept if self.summary else []) + copy.deepcopy(self.messages)
        return [*given[:lead], *kept, *given[lead:]]

    def record(self, given: list[Any], answer: dict[str, Any] | None) -> None:
        """Keep a call's messages (not its instructions) and the assistant's answer."""
        self.messages += [
            copy.deepcopy(m)
            for m in given
            if isinstance(m, dict) and _role(m) not in INSTRUCTION_ROLES
        ]
        if answer is not None:
            self.messages.append(assistant_message(answer))

    def summary_body(self) -> dict[str, Any] | None:
        """The summary request to send now, or None (no summary model, nothing new)."""
        if self.summary_model is None or not self.messages:
            return None
        previous = self.summary or "(none yet)"
        lines = "\n".join(render(message) for message in self.messages)
        text = f"1. The previous summary:\n{previous}\n\n2. The messages to summarize:\n{lines}"
        return {
            "model": self.summary_model,
            "messages": [
                {"role": "system", "content": self.summary_prompt},
                {"role": "user", "content": text},
            ],
        }

    def summarized(self, completion: dict[str, Any]) -> str | None:
        """Take the summary model's answer: it replaces the summary and the kept messages."""
        choices = completion.get("choices") or [{}]
        content = (choices[0].get("message") or {}).get("content")
        if not isinstance(content, str) or not content.strip():
            return None
        self.summary, self.messages = content, []
        return content


def _role(message: Any) -> Any:
    return message.get("role") if isinstance(message, dict) else None


def assistant_message(snapshot: dict[str, Any]) -> dict[str, Any]:
    """An accumulated message as the API takes it back: content, refusal, tool calls (without
    the stream's `index` and the helper's `parsed_arguments`)."""
    message: dict[str, Any] = {"role": "assistant", "content": snapshot.get("content")}
    if snapshot.get("refusal") is not None:
        message["refusal"] = snapshot["refusal"]
    calls = [
        {
            "id": call.get("id"),
            "type": call.get("type", "function"),
            "function": {
                "name": (call.get("function") or {}).get("name"),
                "arguments": (call.get("function") or {}).get("arguments") or "",
            },
        }
        for call in snapshot.get("tool_calls") or []
    ]
    if calls:
        message["tool_calls"] = calls
    return message


def render(message: dict[str, Any]) -> str:
    """One message as a line of the transcript the summary model reads."""
    role, content = message.get("role", "?"), message.get("content")
    if isinstance(content, list):
        content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    parts = [str(content)] if content else []
    if message.get("refusal"):
        parts.append(f"(refused: {message['refusal']})")
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        parts.append(f"(called {function.get('name')} with {function.get('arguments')})")
    if role == "tool":
        return f"tool result for {message.get('tool_call_id')}: {json.dumps(content)}"
    return f"{role}: {' '.join(parts)}"
