"""What the client protocol asks its pump to do: intents, never I/O.

The pump (refclient.realtime) carries each intent out in order: it sends `SendEvent`s on the
socket (validated, translated for the dialect), hands `PlayAudio` to the media bridge, answers
`StopPlayout` by clearing the bridge and feeding what was played back to
`ClientProtocol.playout_stopped`, and reports `Notice`s to the application.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class SendEvent:
    """Send this GA-shaped client event; `reason` says which rule asked for it."""

    event: dict[str, Any]
    reason: str = "application"


@dataclass(frozen=True)
class PlayAudio:
    """Queue decoded model audio (session output format) for playout in the call."""

    item_id: str
    content_index: int
    audio: bytes = field(repr=False)


@dataclass(frozen=True)
class StopPlayout:
    """Stop playout at once and drop what is queued; then report what was played."""

    reason: str


@dataclass(frozen=True)
class Notice:
    """Something the application should know that is not a server event (a queued
    `response.create`, a function call nobody can answer, a malformed event)."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)


Intent = SendEvent | PlayAudio | StopPlayout | Notice


class Played(Protocol):
    """How much of one item the far end played (refclient.media.base.PlayedAudio fits)."""

    @property
    def item_id(self) -> str: ...

    @property
    def content_index(self) -> int: ...

    @property
    def played_ms(self) -> int: ...


def sent_events(intents: list[Intent]) -> list[dict[str, Any]]:
    """The events among `intents`, in order (handy in tests and pumps)."""
    return [intent.event for intent in intents if isinstance(intent, SendEvent)]
