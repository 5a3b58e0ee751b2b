"""The template language: `${...}` inside strings of replies and template parameters.

Three forms, nothing else:

- `${event.PATH}`: a field of the client event that fired the rule (`${event.item.id}`);
- `${last.PATH}`: that field in the most recent server event the scenario produced which has
  it (`${last.response.id}`, `${last.item_id}`, `${last.item.call_id}`);
- `${id:PREFIX}`: a fresh id shaped like the real API's (`${id:item}` -> `item_...`); the same
  within one reply, new in the next.

A string that is exactly one expression takes the value's own type (`"${event.audio_end_ms}"`
is an integer); otherwise values are written into the string (JSON for non-strings). `$${`
writes a literal `${`. A path that is not there resolves to null and is reported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from realtime_conformance.rtproto.scenario.matchers import MISSING

EXPRESSION = re.compile(r"\$(\$?)\{([^}]*)\}")
FORM = re.compile(r"^(?:(event|last)\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)|id:([a-z]+))$")
ROOTS = ("event", "last", "id")


@dataclass(frozen=True)
class Expression:
    root: str  # "event" | "last" | "id"
    argument: str  # the path, or the id prefix

    @property
    def text(self) -> str:
        separator = ":" if self.root == "id" else "."
        return "${" + self.root + separator + self.argument + "}"


def parse_expression(body: str) -> Expression | None:
    """The expression inside `${...}`, or None when it is none of the three forms."""
    found = FORM.match(body.strip())
    if found is None:
        return None
    if found.group(3):
        return Expression("id", found.group(3))
    return Expression(found.group(1), found.group(2))


def expressions_in(text: str) -> Iterator[tuple[str, Expression | None]]:
    """Every `${...}` in a string: its body and what it parses to (None: not an expression)."""
    for found in EXPRESSION.finditer(text):
        if not found.group(1):
            yield found.group(2), parse_expression(found.group(2))


def strings_in(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[Any, str]]:
    """Every string inside a JSON value, with the path to it."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings_in(item, (*path, index))


Lookup = Callable[[Expression], Any]  # returns MISSING when the value is not there


class Resolver:
    """Resolves `${...}` in any JSON value; collects the expressions that found nothing."""

    def __init__(self, lookup: Lookup) -> None:
        self._lookup = lookup
        self.missing: list[str] = []

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._string(value)
        if isinstance(value, dict):
            return {key: self(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self(item) for item in value]
        return value

    def _value(self, body: str) -> Any:
        expression = parse_expression(body)
        found = MISSING if expression is None else self._lookup(expression)
        if found is MISSING:
            self.missing.append("${" + body + "}")
            return None
        return found

    def _string(self, text: str) -> Any:
        whole = EXPRESSION.fullmatch(text)
        if whole is not None and not whole.group(1):
            return self._value(whole.group(2))
        return EXPRESSION.sub(self._substitute, text)

    def _substitute(self, found: re.Match[str]) -> str:
        if found.group(1):
            return "${" + found.group(2) + "}"
        value = self._value(found.group(2))
        return value if isinstance(value, str) else json.dumps(value)
