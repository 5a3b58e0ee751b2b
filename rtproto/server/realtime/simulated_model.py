"""What the simulated model says: a deterministic rule, not a language model.

The rule, applied to the response's context (the default conversation, or the response's own
`input` items):

1. If the latest user message or `function_call_output` in the context is a
   `function_call_output`, the answer is one message that refers to that output: "The
   <function name> result is <output>." followed by one made-up sentence.
2. Otherwise, with function tools available and `tool_choice` not "none", the latest user
   message's text (its `input_text` parts and any input-audio transcripts) is searched for a
   tool's name, case-insensitively, whole words, the name as written or with underscores read
   as spaces (`get_weather` or "get weather"). The first tool mentioned is called.
   `tool_choice: {"type": "function", "name": N}` calls N whatever the text says;
   `"required"` calls the first function tool when none is mentioned.
   - Arguments: every property of the tool's `parameters` schema gets a made-up value of its
     type (strings by name: city, name, email, date, country; else a word; integers within
     `minimum`/`maximum`; the first `enum` value draws from the enum). A value written in the
     user text as `prop: value` or `prop=value` wins (quoted for several words, converted to
     the property's type).
   - If the text asks to "say" or "tell" something before the tool's name, the response holds
     a message first, then the call. The message is the first quoted phrase between that verb
     and the tool's name, or else one made-up sentence.
3. Otherwise the answer is a message of two or three short made-up sentences.

Made-up text comes from Faker seeded per session (`Faker()` + `seed_instance(seed)`), so the
same seed and the same client events give the same answers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from faker import Faker

from realtime_conformance.rtproto.wire import argument_pieces, text_pieces

SAY = re.compile(r"\b(?:say|tell)\b", re.IGNORECASE)
QUOTED = re.compile(r"\"([^\"]+)\"|'([^']+)'|“([^”]+)”")
OUTPUT_PREVIEW_CHARS = 200


def tokens_of(text: str) -> tuple[str, ...]:
    """Delta-sized pieces (`rtproto.wire.text_pieces`): "Hi there, friend!" -> "Hi", " there",
    ",", " friend", "!"."""
    return tuple(text_pieces(text))


@dataclass(frozen=True)
class MessagePlan:
    tokens: tuple[str, ...]  # the text (or, for audio, the transcript) in delta-sized pieces

    @property
    def text(self) -> str:
        return "".join(self.tokens)


@dataclass(frozen=True)
class FunctionCallPlan:
    name: str
    tokens: tuple[str, ...]  # the JSON arguments in delta-sized pieces

    @property
    def arguments(self) -> str:
        return "".join(self.tokens)


PlannedItem = MessagePlan | FunctionCallPlan


def message(text: str) -> MessagePlan:
    return MessagePlan(tokens_of(text))


def user_text(item: dict[str, Any]) -> str:
    parts = item.get("content") or []
    texts = [part.get("text") or part.get("transcript") or "" for part in parts]
    return " ".join(text for text in texts if text)


def latest_turn(context: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The latest user message or function output: what the model answers."""
    turns = [item for item in context if is_turn(item)]
    return turns[-1] if turns else None


def is_turn(item: dict[str, Any]) -> bool:
    if item.get("type") == "function_call_output":
        return True
    return item.get("type") == "message" and item.get("role") == "user"


def _name_pattern(name: str) -> re.Pattern[str]:
    forms = {re.escape(name), re.escape(name.replace("_", " "))}
    return re.compile(r"(?<!\w)(?:" + "|".join(sorted(forms)) + r")(?!\w)", re.IGNORECASE)


def find_mention(text: str, tools: list[dict[str, Any]]) -> tuple[dict[str, Any], int] | None:
    """The first function tool named in `text`, and where its name starts."""
    found = []
    for tool in tools:
        match = _name_pattern(str(tool.get("name", ""))).search(text)
        if match:
            found.append((match.start(), tool))
    if not found:
        return None
    start, tool = min(found, key=lambda pair: pair[0])
    return tool, start


def choose_tool(
    text: str, tools: list[dict[str, Any]], tool_choice: Any
) -> tuple[dict[str, Any], int] | None:
    """The tool to call and where the text names it (the text's length when not named)."""
    functions = [tool for tool in tools if tool.get("type") == "function"]
    if not functions or tool_choice == "none":
        return None
    mention = find_mention(text, functions)
    if isinstance(tool_choice, dict) and tool_choice.get("type") == "function":
        forced = next((t for t in functions if t.get("name") == tool_choice.get("name")), None)
        if forced is not None and (mention is None or mention[0] is not forced):
            return forced, len(text)
    if mention is None and tool_choice == "required":
        return functions[0], len(text)
    return mention


def call_name(output: dict[str, Any], context: list[dict[str, Any]]) -> str:
    """The name of the function a `function_call_output` answers."""
    for item in context:
        if item.get("type") == "function_call" and item.get("call_id") == output.get("call_id"):
            return str(item.get("name"))
    return "function"


class ReplyPlanner:
    """Decides the output items of one response."""

    def __init__(self, seed: int | str) -> None:
        self.faker = Faker()
        self.faker.seed_instance(seed)

    def sentences(self, count: int) -> str:
        return " ".join(self.faker.sentence(nb_words=5) for _ in range(count))

    def answer(
        self, context: list[dict[str, Any]], tools: list[dict[str, Any]], tool_choice: Any
    ) -> list[PlannedItem]:
        turn = latest_turn(context)
        if turn is not None and turn.get("type") == "function_call_output":
            return [self.follow_up(turn, context)]
        text = user_text(turn) if turn else ""
        choice = choose_tool(text, tools, tool_choice)
        if choice is None:
            return [message(self.sentences(self.faker.random_int(2, 3)))]
        tool, named_at = choice
        arguments = self.arguments(tool, text)
        call = FunctionCallPlan(str(tool["name"]), tuple(argument_pieces(arguments)))
        preface = self.preface(text[:named_at])
        return [preface, call] if preface else [call]

    def preface(self, before_tool: str) -> MessagePlan | None:
        """The message asked for with "say"/"tell" before the tool's name, if any."""
        verb = SAY.search(before_tool)
        if verb is None:
            return None
        quoted = QUOTED.search(before_tool, verb.end())
        if quoted:
            return message(next(group for group in quoted.groups() if group))
        return message(self.sentences(1))

    def follow_up(self, output: dict[str, Any], context: list[dict[str, Any]]) -> MessagePlan:
        name = call_name(output, context)
        result = str(output.get("output", ""))[:OUTPUT_PREVIEW_CHARS]
        return message(f"The {name} result is {result}. {self.sentences(1)}")

    def arguments(self, tool: dict[str, Any], text: str) -> str:
        properties = (tool.get("parameters") or {}).get("properties") or {}
        values = {}
        for name, spec in properties.items():
            written = written_value(name, spec, text)
            values[name] = written[0] if written else made_up_value(self.faker, name, spec)
        return json.dumps(values, separators=(",", ":"))


def _json_type(schema: dict[str, Any]) -> str:
    declared = schema.get("type", "string")
    if isinstance(declared, list):
        declared = next((kind for kind in declared if kind != "null"), "string")
    return str(declared)


STRING_HINTS = {
    "city": "city",
    "location": "city",
    "name": "name",
    "email": "email",
    "date": "date",
    "country": "country",
}


def _made_up_string(faker: Faker, name: str) -> str:
    hint = next((method for word, method in STRING_HINTS.items() if word in name.lower()), None)
    return str(getattr(faker, hint)()) if hint else str(faker.word())


def made_up_value(faker: Faker, name: str, schema: dict[str, Any]) -> Any:
    """A plausible value for one property of a tool's `parameters` schema."""
    if schema.get("enum"):
        return faker.random_element(schema["enum"])
    makers: dict[str, Any] = {
        "integer": lambda: faker.random_int(
            int(schema.get("minimum", 1)), int(schema.get("maximum", 100))
        ),
        "number": lambda: faker.random_int(0, 10_000) / 100,
        "boolean": faker.boolean,
        "array": lambda: [made_up_value(faker, name, schema.get("items") or {})],
        "object": lambda: {
            key: made_up_value(faker, key, spec)
            for key, spec in (schema.get("properties") or {}).items()
        },
    }
    make = makers.get(_json_type(schema))
    return make() if make else _made_up_string(faker, name)


def _convert(raw: str, schema: dict[str, Any]) -> Any:
    kind = _json_type(schema)
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return float(raw)
    except ValueError:
        return raw
    if kind == "boolean" and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    return raw


def written_value(name: str, schema: dict[str, Any], text: str) -> tuple[Any] | None:
    """The value the user wrote as `name: value` or `name=value`, wrapped (it may be falsy)."""
    pattern = re.escape(name) + r"\s*[:=]\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s,;]+))"
    match = re.search(r"(?<!\w)" + pattern, text, re.IGNORECASE)
    if match is None:
        return None
    quoted = match.group(1) if match.group(1) is not None else match.group(2)
    raw = quoted if quoted is not None else match.group(3).rstrip(".!?")
    return (_convert(raw, schema),)
