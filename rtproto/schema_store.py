"""Every JSON Schema under schemas/, in one `referencing` registry.

Each file gets a URI made from its path below the schema root, so files reference each other
with plain relative paths. The store reads the files once (package data, not network I/O);
validators are built lazily and cached, because building one costs far more than using it.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from realtime_conformance.schemas import SCHEMA_ROOT

# `.invalid` never resolves (RFC 6761): nothing is ever fetched from it; the scheme is https only
# because relative references resolve against hierarchical URIs.
BASE_URI = "https://realtime-conformance.invalid/schemas/"


def uri_for(relative_path: str) -> str:
    """The URI under which the schema file at `relative_path` (posix, below the root) is known."""
    return BASE_URI + relative_path


class SchemaStore:
    """All schema files below `root`, addressable by relative path."""

    def __init__(self, root: Path = SCHEMA_ROOT) -> None:
        self.root = root
        self._validators: dict[str, Draft202012Validator] = {}

    @cached_property
    def documents(self) -> dict[str, dict[str, Any]]:
        """Relative posix path -> parsed schema, for every `*.json` file below the root."""
        found: dict[str, dict[str, Any]] = {}
        for path in sorted(self.root.rglob("*.json")):
            relative = path.relative_to(self.root).as_posix()
            found[relative] = json.loads(path.read_text(encoding="utf-8"))
        return found

    @cached_property
    def registry(self) -> Registry[Any]:
        resources = [
            (uri_for(rel), Resource.from_contents(doc, default_specification=DRAFT202012))
            for rel, doc in self.documents.items()
        ]
        return Registry().with_resources(resources).crawl()

    def schema(self, relative_path: str) -> dict[str, Any]:
        try:
            return self.documents[relative_path]
        except KeyError:
            raise KeyError(f"no schema file {relative_path!r} below {self.root}") from None

    def validator(self, relative_path: str) -> Draft202012Validator:
        """A reusable validator for one schema file (built on first use)."""
        if relative_path not in self._validators:
            schema = {"$ref": uri_for(relative_path)}
            self._validators[relative_path] = Draft202012Validator(schema, registry=self.registry)
        return self._validators[relative_path]
