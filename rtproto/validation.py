"""Validate one event against its schema and say precisely what is wrong.

Every problem names the event, the field path (`$.session.audio.input.format.rate`), what was
expected and what arrived. jsonschema reports a failed `oneOf` as one opaque error; for unions
discriminated by a `type` constant we descend into the branch whose constant matched, so the
error is the one a person would look for.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from jsonschema import ValidationError

from rtproto.catalogue import Api, Catalogue, EventSpec, load_catalogue
from rtproto.schema_store import SchemaStore

ProblemKind = Literal[
    "not_an_object", "unknown_event", "missing", "unknown_field", "type", "value", "range", "other"
]
JSON_TYPE_NAMES = {
    dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number",
    type(None): "null",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one event."""

    event: str  # the event's label, e.g. "session.update (GA client event)"
    path: str  # JSON path of the offending field
    kind: ProblemKind
    expected: str
    actual: str

    def __str__(self) -> str:
        return f"{self.event}: at {self.path}: expected {self.expected}; got {self.actual}"


def describe_value(value: Any, limit: int = 60) -> str:
    """`integer 42`, `string "hi"`, `object {...}`: short, typed, for error messages."""
    kind = JSON_TYPE_NAMES.get(type(value), type(value).__name__)
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"{kind} {text}"


def _child_path(path: str, key: str) -> str:
    return f"{path}.{key}" if key.isidentifier() else f"{path}[{json.dumps(key)}]"


def _type_rejections(errors: list[ValidationError]) -> dict[int, list[Any]]:
    """Branch index -> the `type` values it accepts, for union branches that rejected the `type`.

    A branch rejects on `type` through `const`, `enum`, or `not` (a catch-all branch for types the
    union does not know); the last accepts no known value, hence an empty list.
    """
    rejected: dict[int, list[Any]] = {}
    for error in errors:
        if list(error.relative_path) != ["type"]:
            continue
        branch = error.relative_schema_path[0]
        if error.validator == "const":
            rejected[branch] = [error.validator_value]
        elif error.validator == "enum":
            rejected[branch] = list(error.validator_value)
        elif error.validator == "not":
            rejected[branch] = []
    return rejected


def _branches(error: ValidationError) -> set[Any]:
    return {sub.relative_schema_path[0] for sub in error.context}


def _expand_one_of(error: ValidationError) -> Iterator[ValidationError] | None:
    """The errors of the branch a `type`-discriminated instance meant, or None if not such a union."""
    if not isinstance(error.instance, dict) or "type" not in error.instance or not error.context:
        return None
    rejected = _type_rejections(list(error.context))
    meant = _branches(error) - rejected.keys()
    if not rejected or not meant:
        return None
    return (sub for sub in error.context if sub.relative_schema_path[0] in meant)


def _union_type_problem(error: ValidationError) -> tuple[str, str] | None:
    """For a union whose every branch rejected the `type`, what types it accepts."""
    if not isinstance(error.instance, dict) or not error.context:
        return None
    rejected = _type_rejections(list(error.context))
    if not rejected or _branches(error) - rejected.keys():
        return None
    accepted = sorted({json.dumps(value) for values in rejected.values() for value in values})
    return f"`type` one of {', '.join(accepted)}", describe_value(error.instance.get("type"))


def _union_lacks_type(error: ValidationError) -> bool:
    """A `type`-discriminated union given an object with no `type`: every branch wants one."""
    if not isinstance(error.instance, dict) or "type" in error.instance or not error.context:
        return False
    wanting = {
        sub.relative_schema_path[0]
        for sub in error.context
        if sub.validator == "required" and not sub.relative_path and "type" in sub.validator_value
    }
    return bool(wanting) and wanting == _branches(error)


def leaf_problems(error: ValidationError, label: str) -> Iterator[Problem]:
    """Turn one jsonschema error (possibly a union) into the problems a person should see."""
    if error.validator in ("oneOf", "anyOf") and _union_lacks_type(error):
        path = _child_path(error.json_path, "type")
        yield Problem(label, path, "missing", "a required field (it selects the kind)", "nothing")
        return
    if error.validator in ("oneOf", "anyOf"):
        narrowed = _expand_one_of(error)
        if narrowed is not None:
            for sub in narrowed:
                yield from leaf_problems(sub, label)
            return
        union = _union_type_problem(error)
        if union is not None:
            yield Problem(label, _child_path(error.json_path, "type"), "value", *union)
            return
    yield _to_problem(error, label)


def _to_problem(error: ValidationError, label: str) -> Problem:
    path, validator, wanted = error.json_path, error.validator, error.validator_value
    if validator == "required":
        missing = next((key for key in wanted if key not in error.instance), "?")
        return Problem(label, _child_path(path, missing), "missing", "a required field", "nothing")
    if validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        extra = sorted(key for key in error.instance if key not in known)
        name = extra[0] if extra else "?"
        allowed = ", ".join(sorted(known)) or "no fields"
        return Problem(
            label, _child_path(path, name), "unknown_field", f"only known fields ({allowed})",
            f"unknown field {json.dumps(name)}",
        )
    if validator == "type":
        types = wanted if isinstance(wanted, list) else [wanted]
        return Problem(label, path, "type", " or ".join(types), describe_value(error.instance))
    if validator == "const":
        return Problem(label, path, "value", json.dumps(wanted), describe_value(error.instance))
    if validator == "enum":
        choices = ", ".join(json.dumps(choice) for choice in wanted)
        return Problem(label, path, "value", f"one of {choices}", describe_value(error.instance))
    if validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                     "minLength", "maxLength", "minItems", "maxItems"):
        return Problem(label, path, "range", f"{validator} {wanted}", describe_value(error.instance))
    return Problem(label, path, "other", f"{validator} {json.dumps(wanted)[:80]}",
                   f"{describe_value(error.instance)} ({error.message[:120]})")


def type_key(api: Api) -> str:
    """The field that names an event: `type`, except for Chat chunks (`object`)."""
    return "object" if api == "chat" else "type"


class EventValidator:
    """Validates events of any API and dialect against schemas/."""

    def __init__(self, catalogue: Catalogue | None = None, store: SchemaStore | None = None) -> None:
        self.catalogue = catalogue or load_catalogue()
        self.store = store or SchemaStore()

    def spec_of(self, event: Any, api: Api, dialect: str = "") -> EventSpec | None:
        """The catalogue entry for `event`, or None when its type is unknown (or absent)."""
        event_type = event.get(type_key(api)) if isinstance(event, dict) else None
        return self.catalogue.lookup(api, event_type, dialect) if isinstance(event_type, str) else None

    def validate(self, event: Any, api: Api, dialect: str = "") -> list[Problem]:
        """Every problem with `event`; an empty list means valid."""
        if not isinstance(event, dict):
            return [Problem(f"{api} event", "$", "not_an_object", "a JSON object",
                            describe_value(event))]
        spec = self.spec_of(event, api, dialect)
        if spec is None:
            key = type_key(api)
            return [self._unknown_type(api, dialect, key, event.get(key))]
        errors = sorted(self.store.validator(spec.schema_path).iter_errors(event),
                        key=lambda error: list(error.path))
        problems: list[Problem] = []
        for error in errors:
            for problem in leaf_problems(error, spec.label):
                if problem not in problems:
                    problems.append(problem)
        return problems

    def _unknown_type(self, api: Api, dialect: str, key: str, event_type: Any) -> Problem:
        label = f"{api} event" + (f" ({dialect.upper()})" if dialect else "")
        if not isinstance(event_type, str):
            return Problem(label, f"$.{key}", "missing" if event_type is None else "type",
                           f"a string `{key}` naming the event", describe_value(event_type))
        known = [spec.type for spec in self.catalogue.events(api, dialect)]
        hint = ""
        other_dialects = [d for d in self.catalogue.dialects_of(api, event_type) if d != dialect]
        if other_dialects:
            hint = f" ({event_type!r} exists in the {other_dialects[0].upper()} dialect only)"
        else:
            close = difflib.get_close_matches(event_type, known, n=3)
            if close:
                hint = f" (did you mean {' or '.join(map(repr, close))}?)"
        return Problem(label, f"$.{key}", "unknown_event", f"a known {api} event type{hint}",
                       f"unknown type {json.dumps(event_type)}")
