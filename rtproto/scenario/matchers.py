"""Matchers on the fields of a client event: eq, regex, present, absent, any_of.

A rule's `when` maps dotted field paths (`item.role`, `item.content.0.type`; a number indexes a
list) to matchers. A bare scalar means `eq`. Equality is JSON equality: `true` never equals `1`.
Values may hold `${last.PATH}` expressions, resolved when the event arrives (so a rule can demand
the `call_id` the server just sent); `resolve` does that.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()  # what `lookup` returns for a path the event does not have
Resolve = Callable[[Any], Any]


def _same_value(value: Any) -> Any:
    return value


def lookup(value: Any, path: str) -> Any:
    """The value at a dotted path (`item.content.0.type`), or MISSING."""
    for key in path.split("."):
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return MISSING
    return value


def json_equal(left: Any, right: Any) -> bool:
    """Equality as JSON sees it: booleans are not numbers, 1 equals 1.0."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left is right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_equal(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(json_equal, left, right))
    numbers = (int, float)
    if isinstance(left, numbers) or isinstance(right, numbers):
        return isinstance(left, numbers) and isinstance(right, numbers) and left == right
    return type(left) is type(right) and bool(left == right)


def _show(value: Any, resolve: Resolve = _same_value) -> str:
    """A value as JSON; one taken from an expression also says where it came from."""
    shown = json.dumps(resolve(value), ensure_ascii=False)
    return shown if resolve(value) == value else f"{shown} (from {value})"


@dataclass(frozen=True)
class Eq:
    value: Any

    def test(self, actual: Any, resolve: Resolve) -> bool:
        return actual is not MISSING and json_equal(actual, resolve(self.value))

    def describe(self, path: str, resolve: Resolve = _same_value) -> str:
        return f"{path} = {_show(self.value, resolve)}"


@dataclass(frozen=True)
class Regex:
    pattern: str

    def test(self, actual: Any, resolve: Resolve) -> bool:
        return isinstance(actual, str) and re.search(self.pattern, actual) is not None

    def describe(self, path: str, resolve: Resolve = _same_value) -> str:
        return f"{path} ~ /{self.pattern}/"


@dataclass(frozen=True)
class Present:
    def test(self, actual: Any, resolve: Resolve) -> bool:
        return actual is not MISSING

    def describe(self, path: str, resolve: Resolve = _same_value) -> str:
        return f"{path} present"


@dataclass(frozen=True)
class Absent:
    def test(self, actual: Any, resolve: Resolve) -> bool:
        return actual is MISSING

    def describe(self, path: str, resolve: Resolve = _same_value) -> str:
        return f"{path} absent"


@dataclass(frozen=True)
class AnyOf:
    values: tuple[Any, ...]

    def test(self, actual: Any, resolve: Resolve) -> bool:
        return actual is not MISSING and any(json_equal(actual, resolve(v)) for v in self.values)

    def describe(self, path: str, resolve: Resolve = _same_value) -> str:
        return f"{path} in [{', '.join(_show(value, resolve) for value in self.values)}]"


Matcher = Eq | Regex | Present | Absent | AnyOf


@dataclass(frozen=True)
class FieldMatcher:
    path: str
    matcher: Matcher

    def matches(self, event: dict[str, Any], resolve: Resolve = _same_value) -> bool:
        return self.matcher.test(lookup(event, self.path), resolve)

    def describe(self, resolve: Resolve = _same_value) -> str:
        return self.matcher.describe(self.path, resolve)


def parse_matcher(spec: Any) -> Matcher:
    """A matcher from its YAML form (already valid against the schema)."""
    if not isinstance(spec, dict):
        return Eq(spec)
    (kind, value), *_ = spec.items()
    if kind == "eq":
        return Eq(value)
    if kind == "regex":
        return Regex(value)
    if kind == "present":
        return Present()
    if kind == "absent":
        return Absent()
    return AnyOf(tuple(value))


def parse_when(when: dict[str, Any]) -> tuple[FieldMatcher, ...]:
    return tuple(FieldMatcher(path, parse_matcher(spec)) for path, spec in when.items())


def match_all(
    matchers: Iterable[FieldMatcher], event: dict[str, Any], resolve: Resolve = _same_value
) -> bool:
    return all(matcher.matches(event, resolve) for matcher in matchers)


def describe_all(matchers: Iterable[FieldMatcher], resolve: Resolve = _same_value) -> str:
    return " and ".join(matcher.describe(resolve) for matcher in matchers) or "any event"
