"""What the server side of one scripted connection remembers between replies.

Templates read it (the session as last sent, the conversation's last item, ids); the player
shows it every event it produces, so literal events count as much as templates do.
"""

from __future__ import annotations

import copy
import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from realtime_conformance.rtproto.events import EventBuilder
from realtime_conformance.rtproto.ids import IdFactory, RandomText
from realtime_conformance.rtproto.scenario.matchers import MISSING, lookup
from realtime_conformance.rtproto.server.realtime.session_config import (
    SESSION_LIFETIME_S,
    realtime_defaults,
)

DEFAULT_MODEL = "gpt-realtime"
DEFAULT_EPOCH_S = 1_767_225_600  # 2026-01-01T00:00:00Z: a fixed "now" so runs are reproducible
HISTORY_LENGTH = 256  # how far back ${last.PATH} looks


def _same_kind(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Two objects of one kind: the new one keeps the old `type` (or neither says one)."""
    return new.get("type", old.get("type")) == old.get("type")


def deep_merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`base` with `changes` applied: objects merge key by key, anything else replaces. An
    object that changes its `type` (an audio format, a turn detection) replaces the old one:
    its fields belong to the new type."""
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        old = merged.get(key)
        if isinstance(old, dict) and isinstance(value, dict) and _same_kind(old, value):
            merged[key] = deep_merge(old, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


@dataclass
class ConnectionState:
    ids: IdFactory
    # obfuscation padding; seeded apart from ids so ids stay stable
    noise: random.Random | RandomText
    model: str = DEFAULT_MODEL
    epoch_s: int = DEFAULT_EPOCH_S
    session: dict[str, Any] | None = None  # as last sent in session.created/updated
    last_item_id: str | None = None  # the conversation's last item, for previous_item_id
    tokens_used: int = 0
    history: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=HISTORY_LENGTH))
    turn_detection: dict[str, Any] | None = None  # announced in place of the default server_vad

    def __post_init__(self) -> None:
        self.builder = EventBuilder(self.ids)
        self.session_id = self.ids.new("sess")
        self.conversation_id = self.ids.new("conv")

    def default_session(self) -> dict[str, Any]:
        """The session a GA `session.created` announces (the simulated model's defaults, as in
        the sip-gateway trace), with the scenario's own VAD settings when it has them."""
        session = realtime_defaults(self.session_id, self.model, self.epoch_s + SESSION_LIFETIME_S)
        if self.turn_detection is not None:
            session["audio"]["input"]["turn_detection"] = copy.deepcopy(self.turn_detection)
        return session

    def current_session(self) -> dict[str, Any]:
        return copy.deepcopy(self.session) if self.session else self.default_session()

    def session_view(self) -> dict[str, Any]:
        """The session as it stands, not copied: to read, never to change or send."""
        return self.session if self.session else self.default_session()

    def observe(self, event: dict[str, Any]) -> None:
        """Remember what a server event says about the connection."""
        event_type = event.get("type")
        if event_type in ("session.created", "session.updated") and isinstance(
            event.get("session"), dict
        ):
            self.session = copy.deepcopy(event["session"])
        elif event_type == "conversation.item.added":
            item_id = lookup(event, "item.id")
            self.last_item_id = item_id if isinstance(item_id, str) else self.last_item_id
        elif event_type == "response.done":
            total = lookup(event, "response.usage.total_tokens")
            self.tokens_used += total if isinstance(total, int) else 0
        self.history.append(event)  # the oldest falls out

    def recall(self, path: str) -> Any:
        """`path` in the most recent event that has it, or MISSING."""
        for event in reversed(self.history):
            found = lookup(event, path)
            if found is not MISSING:
                return found
        return MISSING


@dataclass
class TemplateContext:
    """What a template builds from: the connection's state and the client event being answered."""

    state: ConnectionState
    event: dict[str, Any] | None = None  # None for on_start and faults

    def build(self, event_type: str, **fields: Any) -> dict[str, Any]:
        return self.state.builder.event(event_type, **fields)

    def new_id(self, prefix: str) -> str:
        return self.state.ids.new(prefix)

    def client(self, path: str, default: Any = None) -> Any:
        """A field of the client event, or `default`."""
        found = lookup(self.event, path) if self.event is not None else MISSING
        return default if found is MISSING else found
