"""Which behaviour plays a connection: a named scenario from the catalogue, or the simulated model.

A scenario is chosen per connection by the `scenario` query parameter, or for every new
connection by the control API (`PUT /_mock/scenario`) or `serve --scenario ID`. Only scenarios
of the catalogue can be named, so a typo is refused (HTTP 400, with suggestions) before the
upgrade rather than silently falling back to the simulated model.
"""

from __future__ import annotations

import difflib
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from fixtures import SCENARIOS_ROOT
from mockserver.options import BehaviourFactory, ConnectionInfo
from rtproto.scenario import Scenario, load_scenarios
from rtproto.server.play import ScenarioPlayer
from rtproto.server.realtime.behaviour import Behaviour

SCENARIO_PARAMETER = "scenario"


@dataclass(frozen=True)
class ScenarioRefusal:
    """Why a connection cannot have the scenario it asked for: the body of an HTTP 400."""

    message: str

    def body(self) -> dict[str, object]:
        return {
            "error": {
                "message": self.message,
                "type": "invalid_request_error",
                "param": SCENARIO_PARAMETER,
                "code": "unknown_scenario",
            }
        }


class ScenarioLibrary:
    """Every scenario below a directory, loaded on first use."""

    def __init__(self, directory: Path = SCENARIOS_ROOT) -> None:
        self.directory = directory

    @cached_property
    def by_id(self) -> dict[str, Scenario]:
        return {scenario.id: scenario for scenario in load_scenarios(self.directory)}

    def unknown(self, scenario_id: str) -> ScenarioRefusal | None:
        """None when the catalogue has `scenario_id`; else a refusal with suggestions."""
        if scenario_id in self.by_id:
            return None
        close = difflib.get_close_matches(scenario_id, list(self.by_id), n=3, cutoff=0.5)
        hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
        return ScenarioRefusal(f"Unknown scenario {scenario_id!r}.{hint}")

    def refusal(self, scenario_id: str, dialect: str) -> ScenarioRefusal | None:
        """None when `scenario_id` exists and plays in `dialect`; else what is wrong."""
        scenario = self.by_id.get(scenario_id)
        if scenario is None:
            return self.unknown(scenario_id)
        if scenario.api != "realtime":
            return ScenarioRefusal(
                f"Scenario {scenario_id!r} is a {scenario.api} scenario: it answers HTTP requests."
            )
        if dialect not in scenario.dialects:
            listed = " and ".join(d.upper() for d in scenario.dialects)
            return ScenarioRefusal(f"Scenario {scenario_id!r} plays in the {listed} dialect only.")
        return None

    def summaries(self) -> list[dict[str, object]]:
        return [
            {
                "id": s.id,
                "title": s.title,
                "requirement": s.requirement,
                "dialects": list(s.dialects),
                "strict": s.strict,
            }
            for s in sorted(self.by_id.values(), key=lambda s: s.id)
        ]


def requested_scenario(info: ConnectionInfo, selected: str | None) -> str | None:
    """The scenario a connection asked for (its query wins over the server-wide choice)."""
    return info.query.get(SCENARIO_PARAMETER) or selected


def scenario_factory(
    library: ScenarioLibrary, selected: str | None, fallback: BehaviourFactory
) -> BehaviourFactory:
    """Build each connection's behaviour: its scenario's player, or `fallback`."""

    def make(info: ConnectionInfo) -> Behaviour:
        scenario_id = requested_scenario(info, selected)
        if scenario_id is None:
            return fallback(info)
        seed = int(info.connection_id.split("-")[1])  # "conn-0003-…": the same on every run
        model = info.model or "gpt-realtime"
        return ScenarioPlayer(
            library.by_id[scenario_id], seed=seed, model=model, epoch_s=int(time.time())
        )

    return make
