"""What a scenario's `case:` block may leave out, derived from the scenario itself.

The stimulus comes from the client events the scenario's required rules (those with a finite
`times`) expect, in rule order: a session.update is `configure`; a user item followed by
response.create is `send_text` and a wait for its response.done; appends and VAD turns are
`stream_call` (the caller's audio, for as long as it lasts); a function_call_output is
answered by the client on its own after `set_tool_outputs`; a truncate is the client's own
reaction to barge-in when the case streams a call. Every other client event a rule expects
(delete, retrieve, clear, a manual commit, a bare or out-of-band response.create, an item with
no response after it, a truncate with no call) is a `call_method` step: the application calling
the client method that sends it (conformance.case_methods), after a wait for the rules the
method steps before it met (its `${last...}` parameters may name their answers). What no method
can send (an event type the API does not know, a second response.create while one is active)
makes the case unrunnable: it is reported with the reason instead of failing every client. A
`case:` block with `steps` states the stimulus instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from realtime_conformance.conformance.case_checks import (
    BARGE_IN_CHECKS,
    ORDERING_CHECKS,
    REALTIME_CHECKS,
    resilience_checks,
)
from realtime_conformance.conformance.case_http import HTTP_TIMEOUT_S, http_case
from realtime_conformance.conformance.case_methods import (
    expects_second_create,
    method_for,
    method_step,
    names_parameters,
    responses_started,
)
from realtime_conformance.conformance.case_session import session_for
from realtime_conformance.rtproto.scenario.matchers import Eq
from realtime_conformance.rtproto.scenario.rule_events import expected_types
from realtime_conformance.rtproto.scenario.spec import BurstScript, Rule, Scenario, TemplateStep

Timing = Literal["ordering", "realtime"]
USER_TEXT = "Hello, can you hear me?"  # what send_text says when the case does not choose
TOOL_OUTPUT = '{"ok": true}'
AUDIO_TYPES = frozenset({"input_audio_buffer.append", "vad.turn"})
ORDERING_TIMEOUT_S = 10.0  # a few round trips at the real server's ~250 ms, with room
REALTIME_MARGIN_S = 15.0  # after the caller's audio: answers, playout and the settle time
DEFAULT_CALL_MS = 3000  # a call with no caller script: what the virtual call plays by default
METHOD_S = 1.0  # per call_method step: a round trip to wait for before the next one


@dataclass(frozen=True)
class Wait:
    """An end condition: a server event (the count-th since the case started), a time after
    it (or after the step), the scenario's rules all met (or those listed by index), or the
    connection closed. Several given: all of them, except that `closed` ends any wait."""

    event: str | None = None
    count: int = 1
    ms: int | None = None
    rules_met: bool = False
    closed: bool = False
    rules: tuple[int, ...] = ()

    @classmethod
    def parse(cls, spec: Mapping[str, Any]) -> Wait:
        return cls(
            spec.get("event"),
            int(spec.get("count", 1)),
            spec.get("ms"),
            bool(spec.get("rules_met", False)),
            bool(spec.get("closed", False)),
            tuple(int(index) for index in spec.get("rules", ())),
        )

    def describe(self) -> str:
        parts = []
        if self.event:
            parts.append(self.event + (f" #{self.count}" if self.count > 1 else ""))
        if self.ms is not None:
            parts.append(f"{self.ms} ms" + (" after it" if self.event else ""))
        if self.rules_met:
            parts.append("the scenario's rules are met")
        if self.rules:
            parts.append("rules " + ", ".join(f"#{i}" for i in self.rules) + " are met")
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
        if self.action == "call_method" and isinstance(self.args, Mapping):
            return f"call_method {self.args.get('name')}({self.args.get('args') or {}})"
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
    scenario: Scenario
    streams: bool = False
    item_rule: Rule | None = None  # a user item rule no response.create has followed yet
    configured: bool = False
    tool_answered: bool = False
    responses: int = 0
    methods: int = 0
    produced: list[int] = field(default_factory=list)  # rules met by method steps, unwaited

    def rule(self, rule: Rule) -> None:
        """Rules that are not required (no finite `times`) still shape the stimulus, but a
        client event only they expect does not make the case unrunnable."""
        kind = _rule_type(rule)
        missing_before = len(self.missing)
        if kind in AUDIO_TYPES:
            self.stream()
            if rule.limit is not None and self.methods:
                self.produced.append(rule.index)  # the next method call waits for the audio
            return
        if kind == "session.update":
            self._configure(rule)
            return
        if kind == "conversation.item.create":
            self._item(rule)
        elif kind == "response.create":
            self._response(rule)
        elif kind == "conversation.item.truncate" and self.streams:
            self.needs.add("truncation")
        elif kind == "response.cancel":
            started = responses_started(self.scenario.rules[: rule.index])
            created = Wait("response.created", max(self.responses, started, 1), closed=True)
            self.steps += [Step("wait", created), Step("cancel")]
        elif method_for(rule) is not None:
            if rule.limit is not None:
                self._method(rule)
        else:
            self.missing.append(
                f"{kind}, which no client method sends"
                if kind
                else "an event of a type the API does not know (a correct client's methods "
                "refuse to send one)"
            )
        if rule.limit is None:
            del self.missing[missing_before:]

    def _configure(self, rule: Rule) -> None:
        """The first session.update rule is the case's first step; a later required one is
        another configure at its place."""
        if not self.configured:
            self.configured = True
            self.steps[0] = Step("configure", session_for(rule, self.scenario))
        elif rule.limit is not None:
            self.steps.append(Step("configure", session_for(rule, self.scenario)))

    def stream(self) -> None:
        """Bridge the call where the rules first expect the caller's audio (once), after the
        answers to the method calls before it: the scripted rules count appends from there."""
        if not self.streams or any(step.action == "stream_call" for step in self.steps):
            return
        self._wait_produced()
        self.steps.append(Step("stream_call"))

    def finish(self) -> None:
        """A required user item that no response.create follows: the application adds it
        with conversation_item_create. A call no audio rule placed starts at the end."""
        self._flush_item()
        self.stream()

    def _wait_produced(self) -> None:
        if self.produced:
            self.steps.append(Step("wait", Wait(closed=True, rules=tuple(self.produced))))
            self.produced = []

    def _flush_item(self) -> None:
        rule, self.item_rule = self.item_rule, None
        if rule is not None and rule.limit is not None:
            self._method(rule)

    def _method(self, rule: Rule) -> None:
        """A call_method step for what `rule` expects (as often as its `times`), after a wait
        for the rules the method steps before it met: its `${last...}` may name their answers,
        and an application waits for the server's answer before its next call."""
        if rule is not self.item_rule:
            self._flush_item()
        self._wait_produced()
        self.needs.add("methods")
        for _ in range(rule.limit or 1):
            self.steps.append(Step("call_method", method_step(rule)))
            self.methods += 1
        if rule.limit is not None:
            self.produced.append(rule.index)

    def _item(self, rule: Rule) -> None:
        if _field(rule, "item.type") == "function_call_output":
            self.needs.add("tools")
            self.tool_answered = True
        else:
            self._flush_item()
            self.item_rule = rule

    def _response(self, rule: Rule) -> None:
        if expects_second_create(rule):
            self.missing.append(
                "a second response.create while one is active, which a correct client never "
                "sends (it queues it until response.done)"
            )
        elif self.item_rule is not None and not names_parameters(rule):
            self.needs.add("text")
            self.responses += 1
            self.steps += [
                Step("send_text", USER_TEXT),
                Step("wait", Wait("response.done", self.responses, closed=True)),
            ]
            self.item_rule = None
        elif self.tool_answered:
            self.responses += 1  # the client's own follow-up after the function output
            self.tool_answered = False
        elif rule.limit is not None:
            self.responses += 1
            self._method(rule)


def derive(scenario: Scenario) -> Derived:
    """Every part of the case, from the scenario alone."""
    if scenario.api != "realtime":  # Responses and Chat: one streamed request
        steps, needs, checks = http_case(scenario)
        until = Wait(rules_met=True, closed=True)
        http_steps = tuple(Step(action, args) for action, args in steps)
        return Derived(http_steps, until, needs, "ordering", HTTP_TIMEOUT_S, checks)
    rules = scenario.rules
    streams = scenario.caller is not None or any(_rule_type(r) in AUDIO_TYPES for r in rules)
    walk = _Walk([Step("configure", session_for(None, scenario))], set(), [], scenario, streams)
    tools = _tool_names(scenario)
    if tools:
        walk.steps.append(Step("set_tool_outputs", tools))
    if streams:
        walk.needs |= {"audio", "telephony"}
    for rule in rules:
        walk.rule(rule)
    walk.finish()
    if streams:
        walk.steps.append(Step("wait", Wait(ms=_call_ms(scenario), closed=True)))
    unrunnable = None
    if walk.missing:
        unrunnable = "no client method sends: " + "; ".join(dict.fromkeys(walk.missing))
    timing: Timing = "realtime" if streams else "ordering"
    timeout = ORDERING_TIMEOUT_S + 2.0 * walk.responses + METHOD_S * walk.methods
    if streams:
        timeout = _call_ms(scenario) / 1000 + REALTIME_MARGIN_S + METHOD_S * walk.methods
    checks = ORDERING_CHECKS + (REALTIME_CHECKS if streams else ())
    if streams and "truncation" in walk.needs:
        checks += BARGE_IN_CHECKS
    checks += resilience_checks(scenario, walk.needs)
    until = Wait(rules_met=True, closed=True)
    return Derived(
        tuple(walk.steps), until, frozenset(walk.needs), timing, timeout, checks, unrunnable
    )
