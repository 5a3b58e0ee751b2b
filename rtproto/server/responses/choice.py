"""What the simulated Responses model does with a request: the documented rules.

Trigger words are those of rtproto.server.triggers. In order, the first rule that applies:

1. The newest user message contains the word "fail": the response fails (`error` event, then
   `response.failed` with `server_error`).
2. The newest input item is a tool result (`function_call_output`, `custom_tool_call_output`):
   a message about it. An `mcp_approval_response` that approves: the MCP call, then a message.
3. The newest user message contains the word "refuse": a refusal.
4. `tool_choice: "none"`, or no tools: a message (JSON when `text.format` asks for it).
5. Client tools (function and custom): called when `tool_choice` forces one or is `required`,
   or when the user's text names them (the tool's name, or a word of it of 4+ letters, like
   "weather" for `get_weather`); several named → parallel calls, unless
   `parallel_tool_calls: false`, which keeps the first.
6. Hosted tools, the one `tool_choice` forces or the first listed: web search, file search, code
   interpreter, image generation or MCP, then a message (cited for the two searches). MCP tools
   whose `require_approval` is not "never" stop at an `mcp_approval_request`.
7. Otherwise a message.

Reasoning models (o-series, gpt-5*, codex*) put a reasoning item before each step the model
decides (a tool call, the final message), except the message after an image (as recorded);
`reasoning.summary` adds summaries. `max_output_tokens` below what the answer needs cuts the
message and ends with `response.incomplete`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from realtime_conformance.rtproto.server.responses.objects import last_user_text
from realtime_conformance.rtproto.server.responses.request import CreateRequest
from realtime_conformance.rtproto.server.triggers import FAIL, REFUSE, has_word, names_tool

HOSTED = ("web_search", "file_search", "code_interpreter", "image_generation", "mcp")
CLIENT_TOOLS = ("function", "custom")
TOOL_OUTPUTS = ("function_call_output", "custom_tool_call_output")


@dataclass(frozen=True)
class Decision:
    """The model's plan for one response, before any text is written."""

    kind: str  # "fail", "message", "tool_result", "refusal", "calls", "hosted", "mcp_approved"
    tools: list[dict[str, Any]] = field(default_factory=list)  # called or hosted tools
    subject: dict[str, Any] | None = None  # the input item being answered


def hosted_kind(tool: dict[str, Any]) -> str | None:
    kind = str(tool.get("type", ""))
    return next((hosted for hosted in HOSTED if kind.startswith(hosted)), None)


def decide(request: CreateRequest) -> Decision:
    text = last_user_text(request.input_items)
    answering = _answering(request.input_items[-1] if request.input_items else {})
    if has_word(text, FAIL):
        return Decision("fail")
    if answering is not None:
        return answering
    if has_word(text, REFUSE):
        return Decision("refusal")
    if request.tool_choice == "none" or not request.tools:
        return Decision("message")
    called = _called_tools(request, text)
    if called:
        return Decision("calls", called)
    hosted = _hosted_tool(request)
    return Decision("hosted", [hosted]) if hosted else Decision("message")


def _answering(newest: dict[str, Any]) -> Decision | None:
    """What answers a tool result or an MCP approval decision, when the input ends with one."""
    if newest.get("type") in TOOL_OUTPUTS:
        return Decision("tool_result", subject=newest)
    if newest.get("type") == "mcp_approval_response":
        kind = "mcp_approved" if newest.get("approve") else "message"
        return Decision(kind, subject=newest)
    return None


def _called_tools(request: CreateRequest, text: str) -> list[dict[str, Any]]:
    client_tools = [tool for tool in request.tools if tool["type"] in CLIENT_TOOLS]
    choice = request.tool_choice
    if isinstance(choice, dict) and choice.get("type") in ("function", "custom"):
        return [tool for tool in client_tools if tool["name"] == choice.get("name")]
    named = [tool for tool in client_tools if names_tool(text, tool["name"])]
    if not named and choice == "required" and client_tools:
        named = client_tools[:1]
    return named if request.parallel_tool_calls else named[:1]


def _hosted_tool(request: CreateRequest) -> dict[str, Any] | None:
    hosted = [tool for tool in request.tools if hosted_kind(tool)]
    choice = request.tool_choice
    if isinstance(choice, dict):
        forced = [tool for tool in hosted if hosted_kind(tool) == hosted_kind(choice)]
        hosted = forced or hosted
    return hosted[0] if hosted else None
