"""Scripted scenarios played as the server (the format itself is rtproto.scenario).

player = ScenarioPlayer(load_scenario(path), seed=1)   # a Behaviour for the driver
http = HttpScenario(load_scenario(path), seed=1)       # one per selected HTTP scenario
stream = http.open(body, now)                          # one per request

Neither judges the client: they note what they saw in the transcript (rtproto.scenario.notes)
and conformance.checks.scenario_rules judges it.
"""

from realtime_conformance.rtproto.server.play.http import (
    HttpScenario,
    ScenarioStream,
    UnmatchedRequest,
)
from realtime_conformance.rtproto.server.play.player import ScenarioPlayer, Unmatched

__all__ = [
    "HttpScenario",
    "ScenarioPlayer",
    "ScenarioStream",
    "Unmatched",
    "UnmatchedRequest",
]
