"""The names a scenario may use: GA event types (from the AsyncAPI catalogue) and templates."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from rtproto.catalogue import load_catalogue
from rtproto.scenario.templates import TEMPLATES

TEMPLATE_NAMES = tuple(TEMPLATES)


@dataclass(frozen=True)
class EventNames:
    client: tuple[str, ...]
    server: tuple[str, ...]

    @property
    def every(self) -> tuple[str, ...]:
        return self.client + self.server


@cache
def ga_event_names() -> EventNames:
    """GA client and server event types, as the catalogue lists them."""
    specs = load_catalogue().events("realtime", "ga")
    return EventNames(
        client=tuple(sorted(s.type for s in specs if s.direction == "client")),
        server=tuple(sorted(s.type for s in specs if s.direction == "server")),
    )
