"""Build a sample instance from a JSON Schema: ours, or the one pydantic derives from an SDK type.

`required` mode fills only required fields (the smallest instance the schema promises to accept);
`full` mode fills every declared field. Values come from `const`, `enum`, `examples` and
`default` where the schema gives them, so samples from our schemas look like real traffic.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from referencing import Registry, Resolver
from referencing.jsonschema import DRAFT202012

Mode = Literal["required", "full"]
MAX_DEPTH = 14
SCALAR_DEFAULTS = {"string": "text", "integer": 0, "number": 0.5, "boolean": False, "null": None}


def resolver_for_standalone(schema: dict[str, Any], uri: str = "urn:sample") -> Resolver[Any]:
    """A resolver for a self-contained schema (internal `#/$defs/...` references only)."""
    resource = DRAFT202012.create_resource(schema)
    return Registry().with_resource(uri, resource).resolver(base_uri=uri)


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

    def build(self, schema: Any, resolver: Resolver[Any], depth: int = 0) -> Any:
        if not isinstance(schema, dict) or depth > MAX_DEPTH:
            return None
        if "$ref" in schema:
            resolved = resolver.lookup(schema["$ref"])
            return self.build(resolved.contents, resolved.resolver, depth + 1)
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
                return self.build(_pick_branch(schema[keyword]), resolver, depth + 1)
        if schema.get("allOf"):
            return self._merge([self.build(part, resolver, depth + 1) for part in schema["allOf"]])
        kind = types[0] if types else ("object" if "properties" in schema else "string")
        if kind == "object":
            return self._object(schema, resolver, depth)
        if kind == "array":
            return self._array(schema, resolver, depth)
        return SCALAR_DEFAULTS.get(kind, "text")

    def _object(self, schema: dict[str, Any], resolver: Resolver[Any], depth: int) -> dict[str, Any]:
        properties = schema.get("properties", {})
        names = properties if self.mode == "full" else schema.get("required", [])
        return {name: self.build(properties.get(name, {}), resolver, depth + 1) for name in names}

    def _array(self, schema: dict[str, Any], resolver: Resolver[Any], depth: int) -> list[Any]:
        count = max(schema.get("minItems", 0), 1 if self.mode == "full" else 0)
        return [self.build(schema.get("items", {}), resolver, depth + 1) for _ in range(count)]

    @staticmethod
    def _merge(parts: list[Any]) -> Any:
        merged: dict[str, Any] = {}
        for part in parts:
            if not isinstance(part, dict):
                return part
            merged.update(part)
        return merged
