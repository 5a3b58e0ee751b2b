"""Writes the output items of a decided response (rtproto.server.responses.choice), with their text.

Text comes from the request's Simulation (faker, seeded), JSON from the tool's or the text
format's JSON Schema; citations point at spans of the text they annotate.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from realtime_conformance.rtproto.server.responses import hosted, items
from realtime_conformance.rtproto.server.responses.choice import Decision, hosted_kind
from realtime_conformance.rtproto.server.responses.items import Citation
from realtime_conformance.rtproto.server.responses.objects import last_user_text, text_of
from realtime_conformance.rtproto.server.responses.request import CreateRequest
from realtime_conformance.rtproto.server.responses.stream import Output, Steps
from realtime_conformance.rtproto.wire import text_pieces

REFUSAL = "I'm sorry, but I can't help with that request."


@dataclass
class Written:
    reasoning_tokens: int = 0
    incomplete: bool = False


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Composer:
    def __init__(
        self,
        out: Output,
        request: CreateRequest,
        context: Sequence[dict[str, Any]],
        reply: str | None,
    ) -> None:
        self.out = out
        self.sim = out.sim
        self.request = request
        self.context = context
        self.reply = reply
        self.user_text = last_user_text(request.input_items)
        self.written = Written()

    def write(self, decision: Decision) -> Generator[None, None, Written]:
        """Write the decided output (a generator: it yields after each delta)."""
        handlers: dict[str, Callable[[Decision], Steps]] = {
            "message": self._message,
            "tool_result": self._tool_result,
            "refusal": self._refusal,
            "calls": self._calls,
            "hosted": self._hosted,
            "mcp_approved": self._mcp_approved,
            "nothing": self._nothing,
        }
        yield from handlers[decision.kind](decision)
        return self.written

    # steps
    def _nothing(self, decision: Decision) -> Steps:
        yield from ()

    def _think(self) -> Steps:
        """A reasoning item, for reasoning models only."""
        if not self.request.reasoning_model:
            return
        summaries = [self.sim.sentences(2)] if self.request.reasoning.get("summary") else []
        encrypted = "reasoning.encrypted_content" in self.request.include
        yield from items.reasoning(self.out, summaries, encrypted=encrypted)
        self.written.reasoning_tokens += 64 * self.sim.random.randint(1, 4)

    def _say(self, text: str, citations: Sequence[Citation] = (), *, think: bool = True) -> Steps:
        """The final message, cut short when max_output_tokens does not leave room for it."""
        if think:
            yield from self._think()
        pieces = text_pieces(text)
        limit = self.request.max_output_tokens
        room = (
            len(pieces)
            if limit is None
            else limit - self.out.tokens - self.written.reasoning_tokens
        )
        if room >= len(pieces):
            yield from items.message(self.out, text, citations)
            return
        self.written.incomplete = True
        if room > 0:
            cut = "".join(pieces[:room])
            kept = [citation for citation in citations if citation.end <= len(cut)]
            yield from items.message(self.out, cut, kept, status="incomplete")

    def _answer_text(self) -> str:
        if self.reply is not None:
            return self.reply
        fmt = self.request.text["format"]
        if fmt["type"] == "json_schema":
            return compact(self.sim.json_for(fmt.get("schema", {})))
        if fmt["type"] == "json_object":
            return compact({"answer": self.sim.sentences(1)})
        return self.sim.sentences(2)

    def _message(self, decision: Decision) -> Steps:
        yield from self._say(self._answer_text())

    def _tool_result(self, decision: Decision) -> Steps:
        result = text_of((decision.subject or {}).get("output"))[:120]
        yield from self._say(self.reply or f"The tool returned: {result}".rstrip() + ".")

    def _refusal(self, decision: Decision) -> Steps:
        yield from self._think()
        yield from items.refusal(self.out, REFUSAL)

    def _calls(self, decision: Decision) -> Steps:
        yield from self._think()
        for tool in decision.tools:
            if tool["type"] == "custom":
                yield from items.custom_tool_call(self.out, tool["name"], self.sim.words(4))
            else:
                arguments = self.sim.json_for(tool.get("parameters") or {"type": "object"})
                yield from items.function_call(self.out, tool["name"], compact(arguments))

    # hosted tools
    def _hosted(self, decision: Decision) -> Steps:
        tool = decision.tools[0]
        kind = hosted_kind(tool)
        query = self.user_text[:80] or self.sim.words(4)
        if kind == "mcp":
            yield from self._mcp(tool, query)
            return
        yield from self._think()
        if kind == "web_search":
            urls = [self.sim.faker.url() + self.sim.faker.slug() for _ in range(2)]
            sources = "web_search_call.action.sources" in self.request.include
            hosted.web_search(self.out, query, urls, sources=sources)
            yield from self._say(*self._url_cited(urls))
        elif kind == "file_search":
            hosted.file_search(self.out, query)
            yield from self._say(*self._file_cited())
        elif kind == "code_interpreter":
            yield from self._code(tool)
        elif kind == "image_generation":
            partials = int(tool.get("partial_images") or 1)
            hosted.image_generation(self.out, tool, query, partials)
            yield from self._say("", think=False)

    def _url_cited(self, urls: list[str]) -> tuple[str, list[Citation]]:
        text, citations = "", []
        for url in urls:
            link_url = f"{url}?utm_source=openai"
            text += ("" if not text else " ") + self.sim.sentences(1).rstrip(".") + " ("
            start = len(text)
            text += f"[{urlparse(url).netloc}]({link_url})"
            annotation = {
                "type": "url_citation",
                "end_index": len(text),
                "start_index": start,
                "title": self.sim.faker.catch_phrase(),
                "url": link_url,
            }
            citations.append(Citation(len(text), annotation))
            text += ")."
        return text, citations

    def _file_cited(self) -> tuple[str, list[Citation]]:
        first, second = self.sim.sentences(1), self.sim.sentences(1)
        index = len(first) - 1
        annotation = {
            "type": "file_citation",
            "file_id": self.sim.alnum_id("file", 22, "-"),
            "filename": self.sim.faker.file_name(extension="txt"),
            "index": index,
        }
        return f"{first} {second}", [Citation(index, annotation)]

    def _code(self, tool: dict[str, Any]) -> Steps:
        values = [self.sim.random.randint(1, 99) for _ in range(3)]
        code = f"values = {values}\nprint(sum(values) / len(values))\n"
        container = tool.get("container")
        container_id = container if isinstance(container, str) else self.sim.hex_id("cntr", 48)
        yield from hosted.code_interpreter(
            self.out, code, str(sum(values) / len(values)), container_id
        )
        text = f"The average is {sum(values) / len(values)}. {self.sim.sentences(1)}"
        filename = self.sim.faker.file_name(extension="csv")
        annotation = {
            "type": "container_file_citation",
            "container_id": container_id,
            "end_index": len(text),
            "file_id": self.sim.hex_id("cfile", 32),
            "filename": filename,
            "start_index": len(text) - 1,
        }
        yield from self._say(text, [Citation(len(text), annotation)])

    def _mcp(self, tool: dict[str, Any], question: str) -> Steps:
        label = tool["server_label"]
        listed = any(
            item.get("type") == "mcp_list_tools" and item.get("server_label") == label
            for item in self.context
        )
        if not listed:  # the server's tools are listed once per conversation, before reasoning
            hosted.mcp_list_tools(self.out, tool)
        name = hosted.mcp_tool_names(tool)[0]
        yield from self._think()
        if _approval_needed(tool, name):
            hosted.mcp_approval_request(self.out, label, name, question)
            return
        yield from hosted.mcp_call(self.out, label, name, question)
        yield from self._say(self._answer_text())

    def _mcp_approved(self, decision: Decision) -> Steps:
        approval_id = (decision.subject or {}).get("approval_request_id")
        request = next(
            (
                item
                for item in self.context
                if item.get("type") == "mcp_approval_request" and item.get("id") == approval_id
            ),
            None,
        )
        if request is None:
            yield from self._say(self._answer_text())
            return
        yield from self._think()
        question = json.loads(request.get("arguments") or "{}").get("question", "")
        yield from hosted.mcp_call(
            self.out, request["server_label"], request["name"], question, approval_id
        )
        yield from self._say(self._answer_text())


def _approval_needed(tool: dict[str, Any], name: str) -> bool:
    policy = tool.get("require_approval", "always")
    if isinstance(policy, dict):
        never = policy.get("never", {})
        names = never.get("tool_names", []) if isinstance(never, dict) else []
        return name not in names
    return bool(policy != "never")
