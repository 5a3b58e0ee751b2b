"""Validate one event against its schema and say precisely what is wrong (rtproto.problems).

The validator finds the event's schema in the catalogue (by API, dialect and type), runs a
cached jsonschema validator, and words each error as a `Problem`. An unknown type gets a
suggestion, or the news that it belongs to the other dialect.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from realtime_conformance.rtproto.catalogue import Api, Catalogue, EventSpec, load_catalogue
from realtime_conformance.rtproto.problems import (
    JSON_TYPE_NAMES,
    Problem,
    ProblemKind,
    describe_value,
    leaf_problems,
)
from realtime_conformance.rtproto.schema_store import SchemaStore

__all__ = ["JSON_TYPE_NAMES", "EventValidator", "Problem", "ProblemKind", "type_key"]


def type_key(api: Api) -> str:
    """The field that names an event: `type`, except for Chat chunks (`object`)."""
    return "object" if api == "chat" else "type"


class EventValidator:
    """Validates events of any API and dialect against schemas/."""

    def __init__(
        self, catalogue: Catalogue | None = None, store: SchemaStore | None = None
    ) -> None:
        self.catalogue = catalogue or load_catalogue()
        self.store = store or SchemaStore()

    def spec_of(self, event: Any, api: Api, dialect: str = "") -> EventSpec | None:
        """The catalogue entry for `event`, or None when its type is unknown (or absent)."""
        event_type = event.get(type_key(api)) if isinstance(event, dict) else None
        return (
            self.catalogue.lookup(api, event_type, dialect) if isinstance(event_type, str) else None
        )

    def validate(self, event: Any, api: Api, dialect: str = "") -> list[Problem]:
        """Every problem with `event`; an empty list means valid."""
        if not isinstance(event, dict):
            return [
                Problem(
                    f"{api} event", "$", "not_an_object", "a JSON object", describe_value(event)
                )
            ]
        spec = self.spec_of(event, api, dialect)
        if spec is None:
            key = type_key(api)
            return [self._unknown_type(api, dialect, key, event.get(key))]
        errors = sorted(
            self.store.validator(spec.schema_path).iter_errors(event),
            key=lambda error: list(error.path),
        )
        problems: list[Problem] = []
        for error in errors:
            for problem in leaf_problems(error, spec.label):
                if problem not in problems:
                    problems.append(problem)
        return problems

    def _unknown_type(self, api: Api, dialect: str, key: str, event_type: Any) -> Problem:
        label = f"{api} event" + (f" ({dialect.upper()})" if dialect else "")
        if not isinstance(event_type, str):
            return Problem(
                label,
                f"$.{key}",
                "missing" if event_type is None else "type",
                f"a string `{key}` naming the event",
                describe_value(event_type),
            )
        known = [spec.type for spec in self.catalogue.events(api, dialect)]
        hint = ""
        other_dialects = [d for d in self.catalogue.dialects_of(api, event_type) if d != dialect]
        if other_dialects:
            hint = f" ({event_type!r} exists in the {other_dialects[0].upper()} dialect only)"
        else:
            close = difflib.get_close_matches(event_type, known, n=3)
            if close:
                hint = f" (did you mean {' or '.join(map(repr, close))}?)"
        return Problem(
            label,
            f"$.{key}",
            "unknown_event",
            f"a known {api} event type{hint}",
            f"unknown type {json.dumps(event_type)}",
        )
