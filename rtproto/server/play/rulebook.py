"""Which rule takes a client event: first match wins, `times` counted, `ordered` enforced.

A rule answers `times` events (`always`, `once`, N). With `ordered: true` the rules with a finite
`times` must match in the listed order, while `always` rules match at any point. A client event
no rule takes is kept in `unmatched` with every rule's description at that moment (the player
answers and notes it; whether that fails the client is for conformance.checks to say). One
RuleBook serves a Realtime connection, or every HTTP request of one HttpScenario.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from realtime_conformance.rtproto.scenario.expressions import Expression, Resolver
from realtime_conformance.rtproto.scenario.matchers import MISSING, match_all
from realtime_conformance.rtproto.scenario.notes import describe_unmatched, unmatched_note
from realtime_conformance.rtproto.scenario.spec import Rule, Scenario

Event = dict[str, Any]
Recall = Callable[[str], Any]  # `${last.PATH}`: the path in the latest server event having it


@dataclass(frozen=True)
class Unmatched:
    """A client event no rule took, with what every rule expected at that moment."""

    event: Event
    expected: tuple[str, ...]
    at: float

    def __str__(self) -> str:
        return describe_unmatched(self.event.get("type"), self.expected)

    def note(self) -> dict[str, Any]:
        """As the player notes it in the transcript."""
        return unmatched_note(self.event, self.expected)


class RuleBook:
    def __init__(self, scenario: Scenario, recall: Recall) -> None:
        self.scenario = scenario
        self.unmatched: list[Unmatched] = []
        self._recall = recall
        self._uses = [0] * len(scenario.rules)

    def take(self, event: Event, now: float, *, required: bool = True) -> Rule | None:
        """The rule that answers `event` (its use counted); None when none does, recorded as
        unmatched if the event `required` an answer (a client event; not a VAD turn)."""
        rule = self._match(event)
        if rule is not None:
            self._uses[rule.index] += 1
        elif required:
            self.unmatched.append(Unmatched(event, self.expectations(), now))
        return rule

    def expectations(self) -> tuple[str, ...]:
        """Every rule's description, with where it stands now."""
        current, resolve = self._current(), Resolver(self._lookup_last)
        return tuple(
            rule.describe(self._standing(rule, current), resolve) for rule in self.scenario.rules
        )

    def _available(self, rule: Rule) -> bool:
        return rule.limit is None or self._uses[rule.index] < rule.limit

    def _current(self) -> Rule | None:
        """In ordered mode: the rule the sequence is waiting for."""
        if not self.scenario.ordered:
            return None
        sequence = (rule for rule in self.scenario.rules if rule.limit is not None)
        return next((rule for rule in sequence if self._available(rule)), None)

    def _standing(self, rule: Rule, current: Rule | None) -> str:
        if not self._available(rule):
            return "used up"
        if not self.scenario.ordered or rule.limit is None:
            return ""
        return "next in order" if rule is current else "later in order"

    def _match(self, event: Event) -> Rule | None:
        resolve = Resolver(self._lookup_last)

        def fits(rule: Rule) -> bool:
            return self._available(rule) and match_all(rule.when, event, resolve)

        if not self.scenario.ordered:
            return next((rule for rule in self.scenario.rules if fits(rule)), None)
        current = self._current()
        if current is not None and fits(current):
            return current
        return next((r for r in self.scenario.rules if r.limit is None and fits(r)), None)

    def _lookup_last(self, expression: Expression) -> Any:
        return self._recall(expression.argument) if expression.root == "last" else MISSING
