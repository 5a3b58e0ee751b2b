"""Build a sample instance from a JSON Schema: ours, or the one pydantic derives from an SDK type.

`required` mode fills only required fields (the smallest instance the schema promises to accept);
`full` mode fills every declared field. Values come from `const`, `enum`, `examples` and
`default` where the schema gives them, so samples from our schemas look like real traffic.
Where the schema leaves a scalar unconstrained the builder has to make a value up; it records the
JSON path of each such value in `free_paths`, since a made-up value says nothing about the schema.
"""

from __future__ import annotations

import copy
from typing import Any, Literal, Protocol

from referencing import Registry
from referencing.jsonschema import DRAFT202012

Mode = Literal["required", "full"]
MAX_DEPTH = 40  # a guard against recursive schemas, well above any real nesting
SCALAR_DEFAULTS = {"string": "text", "integer": 0, "number": 0.5, "boolean": False, "null": None}


class Resolved(Protocol):
    """A looked-up reference: its schema and the resolver for references inside it."""

    @property
    def contents(self) -> Any: ...

    @property
    def resolver(self) -> Resolver: ...


class Resolver(Protocol):
    """What the builder needs of a `referencing` resolver (whose class is not public API)."""

    def lookup(self, ref: str) -> Resolved: ...


def resolver_for_standalone(schema: dict[str, Any], uri: str = "urn:sample") -> Resolver:
    """A resolver for a self-contained schema (internal `#/$defs/...` references only)."""
    resource = DRAFT202012.create_resource(schema)
    registry: Registry[Any] = Registry().with_resource(uri, resource)
    return registry.resolver(base_uri=uri)


def _types(schema: dict[str, Any]) -> list[str]:
    declared = schema.get("type")
    if isinstance(declared, list):
        return declared
    return [declared] if isinstance(declared, str) else []


def _pick_branch(branches: list[dict[str, Any]]) -> dict[str, Any]:
    """The first branch that is not just `null`."""
    for branch in branches:
        if _types(branch) != ["null"]:
            return branch
    return branches[0]


class SampleBuilder:
    def __init__(self, mode: Mode) -> None:
        self.mode = mode
        self.free_paths: set[str] = set()

    def build(self, schema: Any, resolver: Resolver, depth: int = 0, path: str = "$") -> Any:
        if not isinstance(schema, dict) or depth > MAX_DEPTH:
            return None
        if "$ref" in schema:
            resolved = resolver.lookup(schema["$ref"])
            return self.build(resolved.contents, resolved.resolver, depth + 1, path)
        for keyword in ("const", "default"):
            if keyword in schema and schema[keyword] is not None:
                return copy.deepcopy(schema[keyword])
        if schema.get("enum"):
            return copy.deepcopy(schema["enum"][0])
        types = [t for t in _types(schema) if t != "null"] or _types(schema)
        if schema.get("examples") and types != ["object"]:
            return copy.deepcopy(schema["examples"][0])
        for keyword in ("oneOf", "anyOf"):
            if schema.get(keyword):
                return self.build(_pick_branch(schema[keyword]), resolver, depth + 1, path)
        if schema.get("allOf"):
            parts = [self.build(part, resolver, depth + 1, path) for part in schema["allOf"]]
            return self._merge(parts)
        if not types and "properties" not in schema:  # any value at all: an object is the usual
            self.free_paths.add(path)
            return {}
        kind = types[0] if types else "object"
        if kind == "object":
            return self._object(schema, resolver, depth, path)
        if kind == "array":
            return self._array(schema, resolver, depth, path)
        self.free_paths.add(path)
        return SCALAR_DEFAULTS.get(kind, "text")

    def _object(
        self, schema: dict[str, Any], resolver: Resolver, depth: int, path: str
    ) -> dict[str, Any]:
        properties = schema.get("properties", {})
        names = properties if self.mode == "full" else schema.get("required", [])
        return {
            name: self.build(properties.get(name, {}), resolver, depth + 1, f"{path}.{name}")
            for name in names
        }

    def _array(
        self, schema: dict[str, Any], resolver: Resolver, depth: int, path: str
    ) -> list[Any]:
        count = max(schema.get("minItems", 0), 1 if self.mode == "full" else 0)
        items = schema.get("items", {})
        return [self.build(items, resolver, depth + 1, f"{path}[{i}]") for i in range(count)]

    @staticmethod
    def _merge(parts: list[Any]) -> Any:
        merged: dict[str, Any] = {}
        for part in parts:
            if not isinstance(part, dict):
                return part
            merged.update(part)
        return merged
