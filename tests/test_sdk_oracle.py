"""Cross-check our schemas with the official `openai` package, an independent oracle.

Both directions, for every event type the SDK knows: what our schemas describe must parse into
the SDK's pydantic types (strict mode), and instances built from the SDK's types must pass our
schemas. Where the real wire differs from the SDK, the wire wins (shared/PROTOCOL.md §8); each
such deliberate difference is listed, with its evidence, in schemas/*-sdk-differences.yaml, and
only the listed field paths are excused.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from pydantic import ValidationError

from realtime_conformance.rtproto.catalogue import Api, load_catalogue
from realtime_conformance.rtproto.schema_store import SchemaStore, uri_for
from realtime_conformance.rtproto.validation import EventValidator
from realtime_conformance.schemas import SCHEMA_ROOT
from tests.support.samples import Mode, SampleBuilder, resolver_for_standalone
from tests.support.sdk_types import chat_chunk_type, sdk_adapter, sdk_event_types
from tests.support.yaml_files import read_yaml

CATALOGUE, STORE = load_catalogue(), SchemaStore()


@dataclass(frozen=True)
class OracleCase:
    api: Api
    dialect: str
    event_type: str
    model: type

    def __str__(self) -> str:
        return f"{self.api}-{self.dialect or 'any'}-{self.event_type}"


def oracle_cases() -> list[OracleCase]:
    cases = []
    for dialect in ("ga", "beta"):
        for direction in ("server", "client"):
            for event_type, model in sdk_event_types("realtime", dialect, direction).items():
                cases.append(OracleCase("realtime", dialect, event_type, model))
    for event_type, model in sdk_event_types("responses", "", "server").items():
        cases.append(OracleCase("responses", "", event_type, model))
    cases.append(OracleCase("chat", "", "chat.completion.chunk", chat_chunk_type()))
    return cases


CASES = oracle_cases()


@cache
def validator() -> EventValidator:
    """One for the module: a validator compiles each schema once, on first use."""
    return EventValidator()


@cache
def sdk_json_schema(model: type) -> dict[str, Any]:
    """The JSON Schema pydantic derives from an SDK type (costly: once per type)."""
    schema: dict[str, Any] = sdk_adapter(model).json_schema()
    return schema


def load_differences() -> dict[tuple[str, str], list[list[str]]]:
    """(api/dialect key, event type) -> the excused paths, as token lists."""
    excused: dict[tuple[str, str], list[list[str]]] = {}
    for path in sorted(SCHEMA_ROOT.glob("*sdk-differences.yaml")):
        area = path.name.removesuffix("-sdk-differences.yaml")
        for entry in read_yaml(path) or []:
            listed = excused.setdefault((area, entry["event"]), [])
            listed.extend(tokens(listed_path) for listed_path in entry["paths"])
    return excused


def tokens(path: Any) -> list[str]:
    """`$.session.tools[3].name` or a pydantic loc tuple -> ['session', 'tools', '3', 'name']."""
    text = ".".join(map(str, path)) if isinstance(path, tuple) else str(path)
    return [token for token in re.split(r"[.\[\]$]+", text) if token]


def is_subsequence(needle: list[str], haystack: list[str]) -> bool:
    """Whether `needle` runs through `haystack` in order (`*` matches any token).

    Pydantic locations hold extra tokens (the union member's name), so a listed path matches a
    location that contains its tokens in order.
    """
    remaining = iter(haystack)
    return all(any(want in ("*", have) for have in remaining) for want in needle)


DIFFERENCES = load_differences()


def area_of(case: OracleCase) -> list[str]:
    if case.api == "realtime":
        return [f"realtime-{case.dialect}"]
    return ["responses-chat"]


def excused(case: OracleCase, location: list[str]) -> bool:
    for area in area_of(case):
        for allowed in DIFFERENCES.get((area, case.event_type), []):
            if is_subsequence(allowed, location):
                return True
    return False


def sdk_failures(case: OracleCase, instance: Any) -> list[str]:
    try:
        sdk_adapter(case.model).validate_python(instance, strict=True)
    except ValidationError as error:
        return [
            f"{tokens(e['loc'])}: {e['msg']}"
            for e in error.errors()
            if not excused(case, tokens(e["loc"]))
        ]
    return []


def our_failures(
    case: OracleCase, instance: Any, made_up: AbstractSet[str] = frozenset()
) -> list[str]:
    """Our schema's problems with `instance`, but for listed differences and made-up values.

    A value the sample builder made up where the SDK leaves a field unconstrained (any string,
    any integer) says nothing about the SDK's shape, so our narrower `value`/`range` rules there
    (an enum of audio formats, a 1-4096 token limit) are not disagreements with it.
    """
    problems = validator().validate(instance, case.api, case.dialect)
    return [
        str(p)
        for p in problems
        if not excused(case, tokens(p.path))
        and not (p.kind in ("value", "range") and p.path in made_up)
    ]


def our_schema(case: OracleCase) -> tuple[dict[str, Any], str]:
    spec = CATALOGUE.lookup(case.api, case.event_type, case.dialect)
    assert spec is not None, f"no schema for SDK event {case}"
    return STORE.schema(spec.schema_path), spec.schema_path


@pytest.mark.parametrize("case", CASES, ids=str)
def test_our_examples_parse_into_the_sdk_type(case: OracleCase) -> None:
    schema, _ = our_schema(case)
    for example in schema["examples"]:
        assert sdk_failures(case, example) == []


@pytest.mark.parametrize("case", CASES, ids=str)
def test_smallest_instance_of_our_schema_parses_into_the_sdk_type(case: OracleCase) -> None:
    """If the SDK requires a field we do not, this fails (unless the wire says we are right)."""
    _, path = our_schema(case)
    resolver = STORE.registry.resolver(base_uri=uri_for(path))
    sample = SampleBuilder("required").build({"$ref": uri_for(path)}, resolver)
    assert our_failures(case, sample) == [], "the sample builder made an invalid instance"
    assert sdk_failures(case, sample) == []


@pytest.mark.parametrize("mode", ["required", "full"])
@pytest.mark.parametrize("case", CASES, ids=str)
def test_instances_of_the_sdk_type_pass_our_schema(case: OracleCase, mode: Mode) -> None:
    sdk_schema = sdk_json_schema(case.model)
    builder = SampleBuilder(mode)
    sample = builder.build(sdk_schema, resolver_for_standalone(sdk_schema))
    assert sdk_failures(case, sample) == [], "the sample builder made an instance the SDK rejects"
    assert our_failures(case, sample, builder.free_paths) == []


def test_every_listed_path_is_a_json_path() -> None:
    for path in sorted(SCHEMA_ROOT.glob("*sdk-differences.yaml")):
        for entry in read_yaml(path) or []:
            assert {"event", "paths", "difference", "reason", "evidence"} <= set(entry), entry
            for listed in entry["paths"]:
                assert re.fullmatch(r"\$(\.\w+|\[(\d+|\*)\])+", listed), (path.name, listed)


def test_every_listed_difference_names_a_known_event() -> None:
    known = {(area, case.event_type) for case in CASES for area in area_of(case)}
    unknown = sorted(set(DIFFERENCES) - known)
    assert not unknown, f"differences listed for events the SDK does not know: {unknown}"
