"""What a scenario's `case:` block may leave out, derived from the scenario itself.

The stimulus comes from the client events the scenario's required rules (those with a finite
`times`) expect, in rule order: a session.update is `configure`; a user item followed by
response.create is `send_text` and a wait for its response.done; appends and VAD turns are
`stream_call` (the caller's audio, for as long as it lasts); a function_call_output is
answered by the client on its own after `set_tool_outputs`; a truncate is the client's own
reaction to barge-in. A required client event no driver call can bring about (delete, retrieve,
clear, a manual commit, a response.create with no user item before it, ...) makes the case
unrunnable through the driver interface: it is reported, with the reason, instead of failing
every client. A `case:` block with `steps` states the stimulus instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from conformance.case_session import session_for
from rtproto.scenario.matchers import Eq
from rtproto.scenario.rule_events import expected_types
from rtproto.scenario.spec import BurstScript, Rule, Scenario, TemplateStep

Timing = Literal["ordering", "realtime"]
USER_TEXT = "Hello, can you hear me?"  # what send_text says when the case does not choose
TOOL_OUTPUT = '{"ok": true}'
AUDIO_TYPES = frozenset({"input_audio_buffer.append", "vad.turn"})
ORDERING_TIMEOUT_S = 10.0  # a few round trips at the real server's ~250 ms, with room
REALTIME_MARGIN_S = 15.0  # after the caller's audio: answers, playout and the settle time
DEFAULT_CALL_MS = 3000  # a call with no caller script: what the virtual call plays by default


@dataclass(frozen=True)
class Wait:
    """An end condition: a server event (the count-th since the case started), a time after
    it (or after the step), the scenario's rules all met, or the connection closed. Several
    given: all of them, except that `closed` ends any wait."""

    event: str | None = None
    count: int = 1
    ms: int | None = None
    rules_met: bool = False
    closed: bool = False

    @classmethod
    def parse(cls, spec: Mapping[str, Any]) -> Wait:
        return cls(
            spec.get("event"),
            int(spec.get("count", 1)),
            spec.get("ms"),
            bool(spec.get("rules_met", False)),
            bool(spec.get("closed", False)),
        )

    def describe(self) -> str:
        parts = []
        if self.event:
            parts.append(self.event + (f" #{self.count}" if self.count > 1 else ""))
        if self.ms is not None:
            parts.append(f"{self.ms} ms" + (" after it" if self.event else ""))
        if self.rules_met:
            parts.append("the scenario's rules are met")
        if self.closed:
            parts.append("(or) the connection closed")
        return " and ".join(parts) or "nothing"


@dataclass(frozen=True)
class Step:
    """One stimulus step: a `ClientDriver` call with its argument, or a `wait`."""

    action: str
    args: Any = None

    def describe(self) -> str:
        if isinstance(self.args, Wait):
            return f"wait until {self.args.describe()}"
        return self.action if self.args is None else f"{self.action} {self.args!r}"


@dataclass(frozen=True)
class Derived:
    steps: tuple[Step, ...]
    until: Wait
    needs: frozenset[str]
    timing: Timing
    timeout_s: float
    checks: tuple[str, ...]
    unrunnable: str | None = None


# Checks every case runs, those that judge media at the call, and those of barge-in. Names of
# the registry (conformance.checks); a name the registry does not know is reported, not run.
ORDERING_CHECKS = (
    "payload.client_events",
    "order.session_before_use",
    "order.one_response_at_a_time",
    "order.tool_output_before_response",
    "order.ids_exist",
    "order.truncate_delivered_audio",
    "order.unique_event_ids",
    "scenario.rules",
)
REALTIME_CHECKS = (
    "media.input_format",
    "media.input_pacing",
    "media.playout_cadence",
    "media.playout_backlog",
    "media.first_audio_latency",
    "media.media_reports",
)
BARGE_IN_CHECKS = (
    "media.clear_on_barge_in",
    "media.truncate_on_barge_in",
    "media.truncate_at_heard_audio",
)


def _rule_type(rule: Rule) -> str | None:
    types = expected_types(rule)
    return types[0] if types else None


def _field(rule: Rule, path: str) -> Any:
    for matcher in rule.when:
        if matcher.path == path and isinstance(matcher.matcher, Eq):
            return matcher.matcher.value
    return None


def _tool_names(scenario: Scenario) -> dict[str, str]:
    """Every function the scenario's replies call, answered with one output."""
    return {
        str(step.params["name"]): TOOL_OUTPUT
        for rule in scenario.rules
        for step in rule.reply
        if isinstance(step, TemplateStep) and step.name == "function_call_response"
        if "name" in step.params
    }


def caller_ms(scenario: Scenario) -> int:
    """How long the caller's audio lasts (0 without a caller)."""
    if scenario.caller is None:
        return 0
    source = scenario.caller.source
    if isinstance(source, BurstScript):
        return source.duration_ms
    return len(source.pcm) * 1000 // (2 * source.rate)


def _call_ms(scenario: Scenario) -> int:
    """How long the case streams the call: the caller's audio, else the call's default."""
    return caller_ms(scenario) or DEFAULT_CALL_MS


@dataclass
class _Walk:
    """The stimulus being built, rule by rule."""

    steps: list[Step]
    needs: set[str]
    missing: list[str]
    scenario: Scenario | None = None
    item_pending: bool = False
    item_required: bool = False
    configured: bool = False
    tool_answered: bool = False
    responses: int = 0

    def rule(self, rule: Rule) -> None:
        """Rules that are not required (no finite `times`) still shape the stimulus, but a
        client event only they expect does not make the case unrunnable."""
        kind = _rule_type(rule)
        missing_before = len(self.missing)
        if kind in AUDIO_TYPES:
            return
        if kind == "session.update":
            self._configure(rule)
            return
        if kind == "conversation.item.create":
            self._item(rule)
        elif kind == "response.create":
            self._response()
        elif kind == "conversation.item.truncate":
            self.needs.add("truncation")
        elif kind == "response.cancel":
            created = Wait("response.created", max(self.responses, 1), closed=True)
            self.steps += [Step("wait", created), Step("cancel")]
        else:
            self.missing.append(kind or "an event of no stated type")
        if rule.limit is None:
            del self.missing[missing_before:]

    def _configure(self, rule: Rule) -> None:
        """The first session.update rule is the case's first step; a later required one is
        another configure at its place."""
        assert self.scenario is not None
        if not self.configured:
            self.configured = True
            self.steps[0] = Step("configure", session_for(rule, self.scenario))
        elif rule.limit is not None:
            self.steps.append(Step("configure", session_for(rule, self.scenario)))

    def finish(self) -> None:
        """A required user item that no response.create follows: no driver call adds an item
        without asking for a response."""
        if self.item_pending and self.item_required:
            self.missing.append("conversation.item.create with no response.create after it")

    def _item(self, rule: Rule) -> None:
        if _field(rule, "item.type") == "function_call_output":
            self.needs.add("tools")
            self.tool_answered = True
        else:
            self.item_pending = True
            self.item_required = rule.limit is not None

    def _response(self) -> None:
        if self.item_pending:
            self.needs.add("text")
            self.responses += 1
            self.steps += [
                Step("send_text", USER_TEXT),
                Step("wait", Wait("response.done", self.responses, closed=True)),
            ]
            self.item_pending = False
        elif self.tool_answered:
            self.responses += 1  # the client's own follow-up after the function output
            self.tool_answered = False
        else:
            self.missing.append("response.create with no user item before it")


def derive(scenario: Scenario) -> Derived:
    """Every part of the case, from the scenario alone."""
    rules = scenario.rules
    streams = scenario.caller is not None or any(_rule_type(r) in AUDIO_TYPES for r in rules)
    walk = _Walk([Step("configure", session_for(None, scenario))], set(), [], scenario)
    tools = _tool_names(scenario)
    if tools:
        walk.steps.append(Step("set_tool_outputs", tools))
    if streams:
        walk.needs |= {"audio", "telephony"}
        walk.steps.append(Step("stream_call"))
    for rule in rules:
        walk.rule(rule)
    walk.finish()
    if streams:
        walk.steps.append(Step("wait", Wait(ms=_call_ms(scenario), closed=True)))
    if "truncation" in walk.needs and not streams:
        walk.missing.append("conversation.item.truncate with no call audio to stop")
    unrunnable = None
    if walk.missing:
        unrunnable = "no driver call makes a client send: " + "; ".join(dict.fromkeys(walk.missing))
    timing: Timing = "realtime" if streams else "ordering"
    timeout = ORDERING_TIMEOUT_S + 2.0 * walk.responses
    if streams:
        timeout = _call_ms(scenario) / 1000 + REALTIME_MARGIN_S
    checks = ORDERING_CHECKS + (REALTIME_CHECKS if streams else ())
    if streams and "truncation" in walk.needs:
        checks += BARGE_IN_CHECKS
    until = Wait(rules_met=True, closed=True)
    return Derived(
        tuple(walk.steps), until, frozenset(walk.needs), timing, timeout, checks, unrunnable
    )
