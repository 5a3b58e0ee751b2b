"""What events exist: read from the AsyncAPI documents in schemas/.

The documents are parsed with asyncapi-python's parser, which follows `$ref`s to channels and
messages. It leaves message payloads as written (a multi-format schema whose `schema` is a `$ref`
to an event file); those are resolved by `rtproto.schema_store` with jsonschema's `referencing`.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import yaml

from realtime_conformance.schemas import SCHEMA_ROOT

Api = Literal["realtime", "responses", "chat"]
Direction = Literal["client", "server"]

DOCUMENTS: dict[Api, str] = {
    "realtime": "realtime.asyncapi.yaml",
    "responses": "responses.asyncapi.yaml",
    "chat": "chat.asyncapi.yaml",
}
DIALECT_TAG = "dialect:"


@dataclass(frozen=True)
class EventSpec:
    """One event type of one API (and, for Realtime, one dialect)."""

    api: Api
    type: str
    dialect: str  # "ga" or "beta" for Realtime, "" for the APIs with a single dialect
    direction: Direction
    schema_path: str  # relative to the schema root
    summary: str

    @property
    def label(self) -> str:
        dialect = f"{self.dialect.upper()} " if self.dialect else ""
        return f"{self.type} ({dialect}{self.direction} event)"


@dataclass(frozen=True)
class Channel:
    api: Api
    name: str
    events: tuple[EventSpec, ...]


class Catalogue:
    """Every event type of every API, with lookups by (api, dialect, type)."""

    def __init__(self, channels: Iterable[Channel]) -> None:
        self.channels = tuple(channels)
        self._by_key = {
            (spec.api, spec.dialect, spec.type): spec
            for channel in self.channels
            for spec in channel.events
        }

    def lookup(self, api: Api, event_type: str, dialect: str = "") -> EventSpec | None:
        return self._by_key.get((api, dialect, event_type))

    def events(self, api: Api, dialect: str = "") -> list[EventSpec]:
        return [spec for (a, d, _), spec in self._by_key.items() if a == api and d == dialect]

    def channel_names(self, api: Api) -> list[str]:
        return [channel.name for channel in self.channels if channel.api == api]

    def dialects_of(self, api: Api, event_type: str) -> list[str]:
        return [d for (a, d, t) in self._by_key if a == api and t == event_type]


def _payload_path(payload: dict[str, Any]) -> str:
    schema = payload.get("schema", payload)
    reference = schema["$ref"]
    return str(reference).removeprefix("./")


def _dialect(tags: Iterable[Any]) -> str:
    for tag in tags:
        if tag.name.startswith(DIALECT_TAG):
            return str(tag.name[len(DIALECT_TAG) :])
    return ""


PARSER_PACKAGE = "asyncapi_python_codegen"
PARSER_MODULE = f"{PARSER_PACKAGE}.parser"


@cache
def asyncapi_parser() -> Callable[..., Any]:
    """asyncapi-python's `extract_all_operations`, imported at first use.

    Its package's `__init__` imports the code generator (typer, which builds a CLI from
    `sys.argv` at import; jinja2, black, datamodel-code-generator: the `codegen` extra, some 25
    packages and 60 MB), none of which the parser needs: it reads YAML with PyYAML into
    asyncapi-python's own classes. So the parser is imported below a bare stand-in for its package
    (found, not executed), and the stand-in is removed again: the extra need not be installed,
    and a later `import asyncapi_python_codegen` still runs the real package. Only the parser's
    `validate=True` reaches back into the package, and it is not used here."""
    if PARSER_PACKAGE in sys.modules:  # already imported for real
        module = importlib.import_module(PARSER_MODULE)
    else:
        module = _import_below_bare_package(PARSER_PACKAGE, PARSER_MODULE)
    parse: Callable[..., Any] = module.extract_all_operations
    return parse


def _import_below_bare_package(package: str, name: str) -> ModuleType:
    spec = importlib.util.find_spec(package)
    if spec is None:
        raise ModuleNotFoundError(f"No module named {package!r}", name=package)
    sys.modules[package] = importlib.util.module_from_spec(spec)  # its __init__ not run
    try:
        return importlib.import_module(name)
    finally:
        del sys.modules[package]


def _read_yaml_fast(path: Path) -> None:
    """Hand the parser the document read with libyaml. The parser reads YAML with PyYAML's
    pure-Python loader (about a second for our three documents: most of a process's start)
    into a per-path cache of its own; filling that cache first with the same data read by
    libyaml (same YAML, same result) makes it ten times faster. Without libyaml, or if the
    parser's cache is not where this expects it, the parser reads the file itself."""
    references = sys.modules.get(f"{PARSER_MODULE}.references")
    cache = getattr(references, "_file_cache", None)
    fast = getattr(yaml, "CSafeLoader", None)
    if not isinstance(cache, dict) or fast is None:
        return
    with path.open(encoding="utf-8") as stream:
        cache.setdefault(path.absolute(), yaml.load(stream, Loader=fast))


def read_document(api: Api, path: Path) -> list[Channel]:
    """The channels of one AsyncAPI document, as seen through asyncapi-python's parser."""
    # validate=False: the parser's own rules target AMQP code generation and print to stdout;
    # the document is validated against the official AsyncAPI 3.0 schema in the tests instead.
    parse = asyncapi_parser()
    _read_yaml_fast(path)
    operations = parse(path, validate=False)
    channels = []
    for operation in operations.values():
        direction: Direction = "server" if operation.action == "send" else "client"
        specs = tuple(
            EventSpec(
                api=api,
                type=message.name,
                dialect=_dialect(message.tags),
                direction=direction,
                schema_path=_payload_path(message.payload),
                summary=message.summary or "",
            )
            for message in operation.channel.messages.values()
        )
        channels.append(Channel(api=api, name=operation.channel.address, events=specs))
    return sorted(channels, key=lambda channel: channel.name)


@cache
def load_catalogue(root: Path = SCHEMA_ROOT) -> Catalogue:
    channels: list[Channel] = []
    for api, file_name in DOCUMENTS.items():
        channels.extend(read_document(api, root / file_name))
    return Catalogue(channels)
