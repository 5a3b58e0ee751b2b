"""A loaded scenario, as typed values: what the server expects and what it sends back.

The YAML format is described by schemas/scenario.schema.json and explained in
rtproto/scenario/__init__.py; the loader turns a file into these values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rtproto.catalogue import Api
from rtproto.scenario.matchers import FieldMatcher, Resolve, describe_all
from rtproto.scenario.replay import Recording


@dataclass(frozen=True)
class TemplateStep:
    """A named template (`text_response`, `session.created`, ...) and its parameters."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EventStep:
    """A literal server event of the scenario's API (GA-shaped for Realtime); `${...}` strings
    inside are resolved when it is sent."""

    event: dict[str, Any]


@dataclass(frozen=True)
class RawStep:
    """A text frame sent exactly as written."""

    text: str


@dataclass(frozen=True)
class WaitStep:
    """An extra gap before the next event of the reply."""

    ms: int


@dataclass(frozen=True)
class ReplayStep:
    """The server events of a recorded transcript, sent as recorded (read when loading)."""

    file: str  # the transcript's path as resolved by the loader
    recording: Recording = field(repr=False, compare=False)
    timing: str = "recorded"  # "recorded": the transcript's t_ms gaps; "paced": pace_ms


@dataclass(frozen=True)
class SimulateStep:
    """Responses and Chat: the simulated model's stream for the request, `text` its answer."""

    text: str | None = None  # None: the model's own answer; `${...}` resolved when sent
    timing: str = "planned"  # "planned": the model's own pacing; "paced": pace_ms


Step = TemplateStep | EventStep | RawStep | WaitStep | ReplayStep | SimulateStep


@dataclass(frozen=True)
class Rule:
    """One expectation: a client event matching `when` is answered with `reply`."""

    index: int
    when: tuple[FieldMatcher, ...]
    reply: tuple[Step, ...] = ()
    limit: int | None = None  # None: always; 1: once; N: the first N matching events
    delay_ms: int | None = None  # None: the scenario's default
    pace_ms: int | None = None

    @property
    def label(self) -> str:
        return f"expect[{self.index}]"

    @property
    def times(self) -> str:
        if self.limit is None:
            return "always"
        return "once" if self.limit == 1 else f"{self.limit} times"

    def describe(self, note: str = "", resolve: Resolve | None = None) -> str:
        """`expect[2] (once, used up): type = "response.create"`; `resolve` fills in the
        values of `${last...}` expressions as they stand."""
        standing = f"{self.times}, {note}" if note else self.times
        matchers = describe_all(self.when, resolve) if resolve else describe_all(self.when)
        return f"{self.label} ({standing}): {matchers}"


@dataclass(frozen=True)
class Drop:
    code: int = 1011
    reason: str = ""


@dataclass(frozen=True)
class AbortConnection:
    pass


@dataclass(frozen=True)
class Duplicate:
    which: str  # "last": resend the last sent event; "next": send the next event twice


@dataclass(frozen=True)
class Malform:
    pass


@dataclass(frozen=True)
class Reorder:
    count: int


@dataclass(frozen=True)
class Stall:
    ms: int


@dataclass(frozen=True)
class ErrorFault:
    kind: str  # "server_error" | "rate_limit"


@dataclass(frozen=True)
class ExpireSession:
    pass


FaultAction = (
    Drop | AbortConnection | Duplicate | Malform | Reorder | Stall | ErrorFault | ExpireSession
)


@dataclass(frozen=True)
class Fault:
    """A fault that fires at a time after the start, or after the nth event of a type."""

    index: int
    action: FaultAction
    at_ms: int | None = None
    after: str | None = None  # a client event type (received) or server event type (sent)
    nth: int = 1


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    requirement: str
    dialects: tuple[str, ...]  # () for the HTTP APIs, which have one dialect
    rules: tuple[Rule, ...] = ()
    on_start: tuple[Step, ...] = ()
    faults: tuple[Fault, ...] = ()
    ignore: tuple[str, ...] = ()
    strict: bool = False
    ordered: bool = False
    pace_ms: int = 0
    delay_ms: int = 0
    source: str = ""  # the file it was loaded from
    api: Api = "realtime"  # responses and chat scenarios are played per HTTP request

    @property
    def label(self) -> str:
        return f"{self.id} {self.title}"
