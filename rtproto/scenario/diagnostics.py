"""Load errors a person can act on: file, line and column, field path, what was wrong.

JSON Schema errors are worded here (jsonschema's own messages quote whole instances); each is
placed on the YAML node its path leads to, via the node tree PyYAML composes. An unknown key is
placed on the key itself and comes with difflib's "did you mean" suggestion.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

import yaml
from jsonschema import ValidationError

from realtime_conformance.rtproto.problems import describe_value
from realtime_conformance.rtproto.scenario.names import TEMPLATE_NAMES, ga_event_names

PathPart = str | int
Path = tuple[PathPart, ...]
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
LITERAL_KEY = re.compile(r"\^([A-Za-z_]+)\$")  # a patternProperties entry naming one key
RANGE_WORDS = {
    "minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<",
}  # fmt: skip


@dataclass(frozen=True, order=True)
class LoadProblem:
    """One thing wrong in one scenario file."""

    line: int  # 1-based
    column: int  # 1-based
    file: str
    field: str  # e.g. expect[1].times; "(top level)" for the document itself
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.field}: {self.message}"


class ScenarioError(Exception):
    """Every problem found in one or more scenario files."""

    def __init__(self, problems: Sequence[LoadProblem]) -> None:
        self.problems = tuple(sorted(problems, key=lambda p: (p.file, p.line, p.column)))
        super().__init__("\n".join(map(str, self.problems)))


@dataclass(frozen=True)
class Issue:
    """A problem before it is placed in the file: where in the data, and on the key or value."""

    path: Path
    message: str
    on_key: bool = False  # point at the key at the end of `path` rather than its value


def suggestion(word: str, choices: Sequence[str]) -> str:
    """` (did you mean 'times'?)`, or nothing when no choice is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def field_name(path: Path) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif NAME.fullmatch(part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part)}]"
    return text or "(top level)"


def locate(root: yaml.Node | None, path: Path, on_key: bool) -> yaml.Node | None:
    """The node `path` leads to (or its key node), stopping at the deepest one that exists."""
    node, key = root, None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            pair = next((pair for pair in node.value if pair[0].value == str(part)), None)
            if pair is None:
                break
            key, node = pair
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            key, node = None, node.value[part]
        else:
            break
    return key if on_key and key is not None else node


def place(issue: Issue, root: yaml.Node | None, file: str) -> LoadProblem:
    node = locate(root, issue.path, issue.on_key)
    line, column = (node.start_mark.line + 1, node.start_mark.column + 1) if node else (1, 1)
    return LoadProblem(line, column, file, field_name(issue.path), issue.message)


# --- wording jsonschema errors ---------------------------------------------------------------


def _schema(error: ValidationError) -> dict[str, Any]:
    return error.schema if isinstance(error.schema, dict) else {}


def _path(error: ValidationError) -> Path:
    return tuple(error.absolute_path)


# jsonschema types an error's parts as "Any | Unset"; these read them as what they are here.
def _instance(error: ValidationError) -> Any:
    return cast(Any, error.instance)


def _wanted(error: ValidationError) -> Any:
    return cast(Any, error.validator_value)


def _json_kind(value: Any) -> str:
    return describe_value(value).split(" ", 1)[0]


def _got(value: Any) -> str:
    """`string "hi"`, `integer 3`; plain `null` for nothing (an empty file, a bare key)."""
    return "null" if value is None else describe_value(value)


def _branch_kinds(schema: dict[str, Any]) -> list[str]:
    declared = schema.get("type")
    if declared is not None:
        return [declared] if isinstance(declared, str) else list(declared)
    values = schema.get("enum", [schema["const"]] if "const" in schema else [])
    return sorted({_json_kind(value) for value in values}) or ["anything"]


def _rejects_kind(sub: ValidationError) -> bool:
    """Whether a branch error says the instance has the wrong JSON type for that branch."""
    if sub.relative_path:
        return False
    if sub.validator == "type":
        return True
    if sub.validator in ("enum", "const"):
        return _json_kind(_instance(sub)) not in _branch_kinds(_schema(sub))
    return False


def _exactly_one(error: ValidationError) -> str | None:
    """For `oneOf: [{required: [a]}, {required: [b]}]`: which keys, and how many were given."""
    branches = cast(list[Any], _wanted(error))
    if not all(isinstance(b, dict) and list(b) == ["required"] for b in branches):
        return None
    keys = [b["required"][0] for b in branches]
    instance = _instance(error)
    given = [key for key in keys if isinstance(instance, dict) and key in instance]
    listing = ", ".join(keys)
    if not given:
        return f"needs one of: {listing}"
    return f"has {' and '.join(map(repr, given))}; give exactly one of: {listing}"


def _alternatives(error: ValidationError) -> Iterator[Issue]:
    """A failed anyOf/oneOf: the errors of the one branch the instance's type fits, if one."""
    exactly = _exactly_one(error)
    if exactly is not None:
        yield Issue(_path(error), exactly)
        return
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    fitting = [subs for subs in branches.values() if not any(map(_rejects_kind, subs))]
    if len(fitting) == 1:
        for sub in fitting[0]:
            yield from explain(sub)
        return
    kinds = [
        kind
        for subs in branches.values()
        for sub in subs
        if _rejects_kind(sub)
        for kind in _branch_kinds(_schema(sub))
    ]
    expected = _either(list(dict.fromkeys(kinds))) or "one of the documented forms"
    yield Issue(_path(error), f"expected {expected}; got {_got(_instance(error))}")


def _either(words: list[str]) -> str:
    return " or ".join(filter(None, [", ".join(words[:-1]), *words[-1:]]))


def _known_keys(schema: dict[str, Any]) -> list[str]:
    """The keys an object takes: its properties, and patternProperties that name one key."""
    patterns = schema.get("patternProperties", {})
    named = [found.group(1) for pattern in patterns if (found := LITERAL_KEY.fullmatch(pattern))]
    return [*schema.get("properties", {}), *named]


def _unknown_keys(error: ValidationError) -> Iterator[Issue]:
    known = _known_keys(_schema(error))
    for key in _instance(error):
        if key not in known:
            hint = suggestion(key, known) or f"; expected one of: {', '.join(known)}"
            yield Issue((*_path(error), key), f"unknown key {key!r}{hint}", on_key=True)


def _template_name(value: str) -> str:
    if value in TEMPLATE_NAMES:
        return f"template {value!r} needs parameters: write it as {{{value}: {{...}}}}"
    if value in ga_event_names().server:
        return (
            f"no template named {value!r}; send it as a literal event: "
            f"{{event: {{type: {value}, ...}}}}"
        )
    return f"unknown template {value!r}" + suggestion(value, TEMPLATE_NAMES)


def _unknown_value(error: ValidationError) -> str:
    choices = [str(choice) for choice in cast(list[Any], _wanted(error))]
    names = _schema(error).get("x-names", "value")
    value = _instance(error)
    if not isinstance(value, str):
        return f"expected one of: {', '.join(choices)}; got {_got(value)}"
    if names == "template":
        return _template_name(value)
    hint = suggestion(value, choices) or f"; expected one of: {', '.join(choices)}"
    return f"unknown {names} {value!r}{hint}"


def _pattern(error: ValidationError) -> Issue:
    expected = _schema(error).get("x-expected", f"a string matching {_wanted(error)}")
    from_names = "propertyNames" in error.schema_path
    message = f"expected {expected}; got {_got(_instance(error))}"
    path = (*_path(error), _instance(error)) if from_names else _path(error)
    return Issue(path, message, on_key=from_names)


def _dependencies(error: ValidationError) -> Iterator[Issue]:
    instance = _instance(error)
    for key, needs in cast(dict[str, list[str]], _wanted(error)).items():
        missing = [need for need in needs if key in instance and need not in instance]
        if missing:
            needed = " and ".join(map(repr, missing))
            yield Issue((*_path(error), key), f"{key!r} needs {needed}", on_key=True)


def _one_key(error: ValidationError) -> str:
    known = ", ".join(_schema(error).get("properties", {}))
    count = len(_instance(error))
    return f"expected exactly one key (one of: {known}); got {count}"


def _type_words(wanted: Any) -> str:
    return _either([wanted] if isinstance(wanted, str) else list(wanted))


def _range_message(word: str) -> Callable[[Any, Any], str]:
    return lambda wanted, value: f"expected a value {word} {wanted}; got {value}"


MESSAGES: dict[str, Callable[[Any, Any], str]] = {
    "type": lambda wanted, value: f"expected {_type_words(wanted)}; got {_got(value)}",
    "const": lambda wanted, value: f"expected {json.dumps(wanted)}; got {_got(value)}",
    "minItems": lambda wanted, value: f"expected at least {wanted} item(s); got {len(value)}",
    "maxLength": lambda wanted, value: f"expected at most {wanted} characters; got {len(value)}",
    "minLength": lambda wanted, value: "expected a non-empty string",
    "uniqueItems": lambda wanted, value: "expected no repeated items",
    **{keyword: _range_message(word) for keyword, word in RANGE_WORDS.items()},
}


def _simple(error: ValidationError) -> str:
    message = MESSAGES.get(str(error.validator))
    return message(_wanted(error), _instance(error)) if message else str(error.message)


def explain(error: ValidationError) -> Iterator[Issue]:
    """The issues one jsonschema error stands for, worded for a scenario author."""
    validator, path = error.validator, _path(error)
    if validator in ("anyOf", "oneOf"):
        yield from _alternatives(error)
    elif validator == "additionalProperties":
        yield from _unknown_keys(error)
    elif validator == "required":
        missing = [key for key in _wanted(error) if key not in _instance(error)]
        for key in missing:
            yield Issue(path, f"missing required key {key!r}")
    elif validator == "dependentRequired":
        yield from _dependencies(error)
    elif validator == "enum":
        yield Issue(path, _unknown_value(error))
    elif validator == "pattern":
        yield _pattern(error)
    elif validator in ("minProperties", "maxProperties"):
        yield Issue(path, _one_key(error))
    else:
        yield Issue(path, _simple(error))
