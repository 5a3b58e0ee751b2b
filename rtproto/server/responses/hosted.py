"""Output items of the hosted tools the server runs itself, each as the recordings stream it.

Each follows `output_item.added` → `<tool>.in_progress` → its working state(s) → `<tool>.completed`
→ `output_item.done`: web search (`searching`), file search (`searching`), code interpreter
(`code.delta`* → `code.done` → `interpreting`), image generation (`generating` →
`partial_image`*), MCP (`mcp_list_tools.*`, `mcp_call_arguments.delta/done`). The items carry
what both the wire and the SDK's types require (a web search announces its `action`).
"""

from __future__ import annotations

import json
from typing import Any

from realtime_conformance.rtproto.server.responses.stream import ItemWriting, Output
from realtime_conformance.rtproto.wire import text_pieces


def _work(out: Output, tool: str, index: int, item_id: str, *states: str) -> None:
    where = {"output_index": index, "item_id": item_id}
    out.writer.emit(f"response.{tool}.in_progress", **where)
    for state in states:
        out.writer.wait(out.writer.pacing.tool_s)
        out.writer.emit(f"response.{tool}.{state}", **where)


def web_search(out: Output, query: str, urls: list[str], *, sources: bool) -> dict[str, Any]:
    item_id = out.sim.hex_id("ws")
    action: dict[str, Any] = {"type": "search", "query": query}
    index = out.add(
        {"id": item_id, "type": "web_search_call", "status": "in_progress", "action": action}
    )
    _work(out, "web_search_call", index, item_id, "searching")
    out.writer.emit("response.web_search_call.completed", output_index=index, item_id=item_id)
    if sources:
        action = {**action, "sources": [{"type": "url", "url": url} for url in urls]}
    return out.done(
        index, {"id": item_id, "type": "web_search_call", "status": "completed", "action": action}
    )


def file_search(out: Output, query: str) -> dict[str, Any]:
    item_id = out.sim.hex_id("fs")
    item: dict[str, Any] = {
        "id": item_id,
        "type": "file_search_call",
        "status": "in_progress",
        "queries": [],
        "results": None,
    }
    index = out.add(item)
    _work(out, "file_search_call", index, item_id, "searching")
    out.writer.emit("response.file_search_call.completed", output_index=index, item_id=item_id)
    return out.done(index, {**item, "status": "completed", "queries": [query]})


def code_interpreter(out: Output, code: str, logs: str, container_id: str) -> ItemWriting:
    item_id = out.sim.hex_id("ci")
    item = {
        "id": item_id,
        "type": "code_interpreter_call",
        "status": "in_progress",
        "code": "",
        "container_id": container_id,
        "outputs": [],
    }
    index = out.add(item)
    where = {"output_index": index, "item_id": item_id}
    out.writer.emit("response.code_interpreter_call.in_progress", **where)
    yield from out.deltas("response.code_interpreter_call_code.delta", text_pieces(code), **where)
    out.writer.emit("response.code_interpreter_call_code.done", **where, code=code)
    out.writer.emit("response.code_interpreter_call.interpreting", **where)
    out.writer.wait(out.writer.pacing.tool_s)
    out.writer.emit("response.code_interpreter_call.completed", **where)
    done = {
        **item,
        "status": "completed",
        "code": code,
        "outputs": [{"type": "logs", "logs": logs}],
    }
    return out.done(index, done)


def image_generation(
    out: Output, tool: dict[str, Any], prompt: str, partial_images: int
) -> dict[str, Any]:
    item_id = out.sim.hex_id("ig")
    index = out.add(
        {"id": item_id, "type": "image_generation_call", "status": "in_progress", "result": None}
    )
    _work(out, "image_generation_call", index, item_id, "generating")
    looks = {
        "size": "1024x1024" if tool.get("size", "auto") == "auto" else tool["size"],
        "quality": "low" if tool.get("quality", "auto") == "auto" else tool["quality"],
        "background": "opaque" if tool.get("background", "auto") == "auto" else tool["background"],
        "output_format": "png",
    }
    for partial in range(partial_images):
        out.writer.wait(out.writer.pacing.tool_s)
        out.writer.emit(
            "response.image_generation_call.partial_image",
            output_index=index,
            item_id=item_id,
            partial_image_index=partial,
            partial_image_b64=out.sim.png_base64(),
            **looks,
        )
    out.writer.emit("response.image_generation_call.completed", output_index=index, item_id=item_id)
    return out.done(
        index,
        {
            "id": item_id,
            "type": "image_generation_call",
            "status": "completed",
            "background": looks["background"],
            "output_format": "png",
            "quality": looks["quality"],
            "result": out.sim.png_base64(8),
            "revised_prompt": prompt,
            "size": looks["size"],
        },
    )


def mcp_tool_names(tool: dict[str, Any]) -> list[str]:
    """The tools a simulated MCP server offers: the allowed ones, or two invented ones."""
    allowed = tool.get("allowed_tools")
    if isinstance(allowed, dict):
        allowed = allowed.get("tool_names")
    return (
        [str(n) for n in allowed]
        if isinstance(allowed, list) and allowed
        else ["ask_question", "read_docs"]
    )


def mcp_server_tools(out: Output, tool: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "annotations": {"read_only": False},
            "description": out.sim.sentences(1),
            "input_schema": {
                "type": "object",
                "properties": {"question": {"type": "string"}},
                "required": ["question"],
                "additionalProperties": False,
            },
            "name": name,
        }
        for name in mcp_tool_names(tool)
    ]


def mcp_list_tools(out: Output, tool: dict[str, Any]) -> dict[str, Any]:
    item_id = out.sim.hex_id("mcpl")
    item = {
        "id": item_id,
        "type": "mcp_list_tools",
        "server_label": tool["server_label"],
        "tools": [],
    }
    index = out.add(item)
    out.writer.emit("response.mcp_list_tools.in_progress", output_index=index, item_id=item_id)
    out.writer.wait(out.writer.pacing.tool_s)
    out.writer.emit("response.mcp_list_tools.completed", output_index=index, item_id=item_id)
    return out.done(index, {**item, "tools": mcp_server_tools(out, tool)})


def mcp_call(
    out: Output, label: str, name: str, question: str, approval: str | None = None
) -> ItemWriting:
    item_id = out.sim.hex_id("mcp")
    arguments = json.dumps({"question": question}, separators=(",", ":"))
    item = {
        "id": item_id,
        "type": "mcp_call",
        "status": "in_progress",
        "approval_request_id": approval,
        "arguments": "",
        "error": None,
        "name": name,
        "output": None,
        "server_label": label,
    }
    index = out.add(item)
    where = {"output_index": index, "item_id": item_id}
    out.writer.emit("response.mcp_call.in_progress", **where)
    yield from out.deltas("response.mcp_call_arguments.delta", [arguments], **where)
    out.writer.emit("response.mcp_call_arguments.done", **where, arguments=arguments)
    out.writer.wait(out.writer.pacing.tool_s)
    out.writer.emit("response.mcp_call.completed", **where)
    done = {**item, "status": "completed", "arguments": arguments, "output": out.sim.sentences(2)}
    return out.done(index, done)


def mcp_approval_request(out: Output, label: str, name: str, question: str) -> dict[str, Any]:
    arguments = json.dumps({"question": question}, separators=(",", ":"))
    item = {
        "id": out.sim.hex_id("mcpr"),
        "type": "mcp_approval_request",
        "arguments": arguments,
        "name": name,
        "server_label": label,
    }
    return out.done(out.add(item), item)
