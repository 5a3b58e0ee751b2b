"""`call_method` steps derived from a scenario's rules: the application calling the client's
event method (rtproto.client.methods) that sends what a rule expects, with the parameters the
rule names (rtproto.scenario.rule_events.client_event_for: its eq values, `${last...}` left for
the suite to fill in when the step runs, schema examples for `present` fields).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from realtime_conformance.rtproto.client.methods import METHOD_OF_EVENT
from realtime_conformance.rtproto.scenario.matchers import AnyOf, Eq
from realtime_conformance.rtproto.scenario.rule_events import client_event_for, expected_types
from realtime_conformance.rtproto.scenario.spec import EventStep, Rule, TemplateStep

# The error a server answers a response.create with while another response is active.
ACTIVE_RESPONSE_ERROR = "conversation_already_has_active_response"
NOT_SENT = ("type", "event_id")
RESPONSE_TEMPLATES = frozenset(
    {"text_response", "audio_response", "function_call_response"}
)  # the method implies the type; the client makes its own ids


def method_for(rule: Rule) -> str | None:
    """The client method that sends the event `rule` expects (None: no method does)."""
    types = expected_types(rule)
    return METHOD_OF_EVENT.get(types[0]) if types else None


def method_step(rule: Rule) -> dict[str, Any]:
    """The `call_method` step's args for `rule`: `{"name": ..., "args": {...}}`."""
    name = method_for(rule)
    if name is None:
        raise ValueError(f"no client method sends what rule {rule.index} expects")
    event = client_event_for(rule)
    return {"name": name, "args": {k: v for k, v in event.items() if k not in NOT_SENT}}


def names_parameters(rule: Rule) -> bool:
    """Whether the rule asks for values beyond the event type (a response.create with
    `response.conversation: none`: an out-of-band response, which no text turn sends). A field
    it only wants present (metadata a correct client adds itself) is no such value."""
    return any(
        matcher.path != "type" and isinstance(matcher.matcher, Eq | AnyOf) for matcher in rule.when
    )


def responses_started(rules: Iterable[Rule]) -> int:
    """How many responses the rules' replies start (templates that write a whole response, or
    a literal response.created): the count a wait for "the response the server has started
    by now" names."""
    count = 0
    for rule in rules:
        for step in rule.reply:
            templated = isinstance(step, TemplateStep) and step.name in RESPONSE_TEMPLATES
            literal = isinstance(step, EventStep) and step.event.get("type") == "response.created"
            count += templated or literal
    return count


def expects_second_create(rule: Rule) -> bool:
    """A response.create rule the scenario answers with conversation_already_has_active_response:
    it expects a second response.create while one is active, which a correct client never
    sends (it queues the call until response.done)."""
    return any(
        isinstance(step, TemplateStep)
        and step.name == "error"
        and step.params.get("code") == ACTIVE_RESPONSE_ERROR
        for step in rule.reply
    )
