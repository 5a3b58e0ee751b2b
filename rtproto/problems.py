"""What is wrong with an event, in words a person reads: jsonschema errors become `Problem`s.

Every problem names the event, the field path (`$.session.audio.input.format.rate`), what was
expected and what arrived. jsonschema reports a failed `oneOf` as one opaque error; for unions
discriminated by a `type` constant (or by JSON type: an integer or "inf") we descend into the
branch the instance meant, so the error is the one a person would look for.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast

from jsonschema import ValidationError

ProblemKind = Literal[
    "not_an_object", "unknown_event", "missing", "unknown_field", "type", "value", "range", "other"
]
JSON_TYPE_NAMES = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
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
    # The raw facts behind the text, for callers that word their own message (the mock server
    # answers with the real API's error texts): the JSON Schema keyword that failed, its value
    # (a minimum, an enum list, the allowed types) and the offending value.
    keyword: str = field(default="", compare=False)
    limit: Any = field(default=None, compare=False)
    value: Any = field(default=None, compare=False)

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


# jsonschema types an error's parts as "Any | Unset"; these read them as what they are here.
def _instance(error: ValidationError) -> Any:
    return cast(Any, error.instance)


def _wanted(error: ValidationError) -> Any:
    return cast(Any, error.validator_value)


def _branch(error: ValidationError) -> int:
    """Which alternative of a union a sub-error came from."""
    return int(error.relative_schema_path[0])


def _type_rejections(errors: list[ValidationError]) -> dict[int, list[Any]]:
    """Branch index -> the `type` values it accepts, for union branches that rejected the `type`.

    A branch rejects on `type` through `const`, `enum`, or `not` (a catch-all branch for types the
    union does not know); the last accepts no known value, hence an empty list.
    """
    rejected: dict[int, list[Any]] = {}
    for error in errors:
        if list(error.relative_path) != ["type"]:
            continue
        branch = _branch(error)
        if error.validator == "const":
            rejected[branch] = [_wanted(error)]
        elif error.validator == "enum":
            rejected[branch] = list(_wanted(error))
        elif error.validator == "not":
            rejected[branch] = []
    return rejected


def _branches(error: ValidationError) -> set[int]:
    return {_branch(sub) for sub in error.context}


def _expand_one_of(error: ValidationError) -> Iterator[ValidationError] | None:
    """The errors of the branch a `type`-discriminated instance meant; None if no such union."""
    if not isinstance(error.instance, dict) or "type" not in error.instance or not error.context:
        return None
    rejected = _type_rejections(list(error.context))
    meant = _branches(error) - rejected.keys()
    if not rejected or not meant:
        return None
    return (sub for sub in error.context if _branch(sub) in meant)


def _union_type_problem(error: ValidationError, label: str) -> Problem | None:
    """For a union whose every branch rejected the `type`, what types it accepts."""
    instance = _instance(error)
    if not isinstance(instance, dict) or not error.context:
        return None
    rejected = _type_rejections(list(error.context))
    if not rejected or _branches(error) - rejected.keys():
        return None
    accepted = sorted({value for values in rejected.values() for value in values}, key=str)
    expected = "`type` one of " + ", ".join(json.dumps(value) for value in accepted)
    actual = instance.get("type")
    return Problem(
        label,
        _child_path(error.json_path, "type"),
        "value",
        expected,
        describe_value(actual),
        keyword="enum",
        limit=accepted,
        value=actual,
    )


def _json_type(value: Any) -> str:
    return JSON_TYPE_NAMES.get(type(value), "other")


def _rejects_json_type(sub: ValidationError, instance: Any) -> bool:
    """Whether a branch error says the instance is of the wrong JSON type for that branch."""
    if sub.relative_path:
        return False
    if sub.validator == "type":
        return True
    if sub.validator in ("const", "enum"):
        values = [_wanted(sub)] if sub.validator == "const" else _wanted(sub)
        return all(_json_type(value) != _json_type(instance) for value in values)
    return False


def _expand_by_json_type(error: ValidationError) -> list[ValidationError] | None:
    """For a union of alternatives of different JSON types (an integer or "inf"), the errors of
    the one alternative whose type the instance has."""
    if not error.context:
        return None
    rejected = {_branch(sub) for sub in error.context if _rejects_json_type(sub, error.instance)}
    meant = _branches(error) - rejected
    if not rejected or len(meant) != 1:
        return None
    return [sub for sub in error.context if _branch(sub) in meant]


def _union_lacks_type(error: ValidationError) -> bool:
    """A `type`-discriminated union given an object with no `type`: every branch wants one."""
    if not isinstance(error.instance, dict) or "type" in error.instance or not error.context:
        return False
    wanting = {
        _branch(sub)
        for sub in error.context
        if sub.validator == "required" and not sub.relative_path and "type" in _wanted(sub)
    }
    return bool(wanting) and wanting == _branches(error)


def leaf_problems(error: ValidationError, label: str) -> Iterator[Problem]:
    """Turn one jsonschema error (possibly a union) into the problems a person should see."""
    if error.validator in ("oneOf", "anyOf") and _union_lacks_type(error):
        path = _child_path(error.json_path, "type")
        yield Problem(
            label,
            path,
            "missing",
            "a required field",
            "nothing",
            keyword="required",
            limit=["type"],
        )
        return
    if error.validator in ("oneOf", "anyOf"):
        narrowed = _expand_one_of(error)
        if narrowed is not None:
            for sub in narrowed:
                yield from leaf_problems(sub, label)
            return
        union = _union_type_problem(error, label)
        if union is not None:
            yield union
            return
        by_type = _expand_by_json_type(error)
        if by_type is not None:
            for sub in by_type:
                yield from leaf_problems(sub, label)
            return
    yield _to_problem(error, label)


RANGE_KEYWORDS = frozenset({
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "minLength", "maxLength", "minItems", "maxItems",
})  # fmt: skip


def _missing(error: ValidationError, label: str) -> Problem:
    missing = next((key for key in _wanted(error) if key not in _instance(error)), "?")
    path = _child_path(error.json_path, missing)
    return Problem(label, path, "missing", "a required field", "nothing")


def _unknown_field(error: ValidationError, label: str) -> Problem:
    schema = error.schema if isinstance(error.schema, dict) else {}
    known = set(schema.get("properties", {}))
    extra = sorted(key for key in _instance(error) if key not in known)
    name = extra[0] if extra else "?"
    allowed = ", ".join(sorted(known)) or "no fields"
    return Problem(
        label,
        _child_path(error.json_path, name),
        "unknown_field",
        f"only known fields ({allowed})",
        f"unknown field {json.dumps(name)}",
    )


def _wrong_type(error: ValidationError, label: str) -> Problem:
    wanted = _wanted(error)
    types = wanted if isinstance(wanted, list) else [wanted]
    return Problem(
        label, error.json_path, "type", " or ".join(types), describe_value(error.instance)
    )


def _wrong_value(error: ValidationError, label: str) -> Problem:
    wanted = _wanted(error)
    if error.validator == "enum":
        expected = "one of " + ", ".join(json.dumps(choice) for choice in wanted)
    else:
        expected = json.dumps(wanted)
    return Problem(label, error.json_path, "value", expected, describe_value(error.instance))


def _out_of_range(error: ValidationError, label: str) -> Problem:
    expected = f"{error.validator} {error.validator_value}"
    return Problem(label, error.json_path, "range", expected, describe_value(error.instance))


def _other(error: ValidationError, label: str) -> Problem:
    expected = f"{error.validator} {json.dumps(error.validator_value)[:80]}"
    actual = f"{describe_value(error.instance)} ({error.message[:120]})"
    return Problem(label, error.json_path, "other", expected, actual)


PROBLEM_MAKERS = {
    "required": _missing,
    "additionalProperties": _unknown_field,
    "type": _wrong_type,
    "const": _wrong_value,
    "enum": _wrong_value,
    **dict.fromkeys(RANGE_KEYWORDS, _out_of_range),
}


def _to_problem(error: ValidationError, label: str) -> Problem:
    maker = PROBLEM_MAKERS.get(str(error.validator), _other)
    problem = maker(error, label)
    value = None if problem.kind in ("missing", "unknown_field") else _instance(error)
    return replace(problem, keyword=str(error.validator), limit=_wanted(error), value=value)
