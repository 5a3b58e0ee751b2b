"""Which behaviour plays a connection: a named scenario from the catalogue, or the simulated model.

A scenario is chosen per connection by the `scenario` query parameter, or for every new
connection by the control API (`PUT /_mock/scenario`) or `serve --scenario ID`. Only scenarios
of the library can be named, so a typo is refused (with suggestions) rather than silently
falling back to the simulated model: as the real API refuses a bad model, after the upgrade with
one `error` event and a close 4000, so that an SDK user reads the reason (an HTTP 400 before the
upgrade reaches the openai SDKs as a bare "HTTP 400"); the control API answers with HTTP 400.
The library is the catalogue plus the user's own files (`serve --scenarios DIR`, `--scenario
PATH.yaml`, the pytest fixture): alongside the catalogue, a user's scenario replacing a catalogue
one of the same id.

Under a served scenario a client event no rule takes is answered with an `error` event naming
what the rules expected, unless the scenario says `unexpected: ignore`; the conformance suite
builds its own players and stays silent.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

from realtime_conformance.fixtures import SCENARIOS_ROOT
from realtime_conformance.mockserver.options import BehaviourFactory, ConnectionInfo
from realtime_conformance.rtproto.handshake import INVALID_REQUEST, Rejection, request_rejection
from realtime_conformance.rtproto.scenario import Scenario, load_scenario, load_scenarios
from realtime_conformance.rtproto.server.play import ScenarioPlayer
from realtime_conformance.rtproto.server.realtime.behaviour import Behaviour

SCENARIO_PARAMETER = "scenario"
SCENARIO_ERROR_CODE = "unknown_scenario"
# The way out, for a user who reads only the refusal (through an SDK, far from the server's log).
LIBRARY_HINT = (
    "GET /_mock/scenarios lists this server's scenarios; "
    "serve --scenarios DIR or --scenario PATH.yaml adds your own."
)


@dataclass(frozen=True)
class ScenarioRefusal:
    """Why a connection cannot have the scenario it asked for: the body of an HTTP 400 (control
    API), or the `error` event and close of a refused WebSocket handshake."""

    message: str

    def body(self) -> dict[str, object]:
        return {
            "error": {
                "message": self.message,
                "type": INVALID_REQUEST,
                "param": SCENARIO_PARAMETER,
                "code": SCENARIO_ERROR_CODE,
            }
        }

    def rejection(self) -> Rejection:
        """The handshake's refusal, in the shape the real API gives a bad `model` (close 4000)."""
        rejection = request_rejection(SCENARIO_ERROR_CODE, self.message)
        return replace(rejection, error=replace(rejection.error, param=SCENARIO_PARAMETER))


class ScenarioLibrary:
    """Every scenario below a directory, and the user's own files and directories (`extra`),
    loaded on first use; `add` puts one more in (the pytest fixture's inline scenarios)."""

    def __init__(self, directory: Path = SCENARIOS_ROOT, extra: Sequence[Path] = ()) -> None:
        self.directory = directory
        self.extra = tuple(extra)

    @cached_property
    def by_id(self) -> dict[str, Scenario]:
        library = {scenario.id: scenario for scenario in scenarios_below(self.directory)}
        library.update((scenario.id, scenario) for scenario in load_user_scenarios(self.extra))
        return library

    def add(self, scenario: Scenario) -> None:
        self.by_id[scenario.id] = scenario

    def unknown(self, scenario_id: str) -> ScenarioRefusal | None:
        """None when the catalogue has `scenario_id`; else a refusal with suggestions."""
        if scenario_id in self.by_id:
            return None
        close = difflib.get_close_matches(scenario_id, list(self.by_id), n=3, cutoff=0.5)
        hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
        return ScenarioRefusal(f"Unknown scenario {scenario_id!r}.{hint} {LIBRARY_HINT}")

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


Stamp = tuple[tuple[str, int, int], ...]  # (path, size, mtime_ns) of each file
_loaded: dict[tuple[str, Stamp], list[Scenario]] = {}
_LOADED_KEPT = 8  # directories; tests use many temporary ones, the catalogue stays


def _stamp(directory: Path) -> Stamp:
    files = sorted(Path(directory).rglob("*.yaml"))
    return tuple((str(path), (st := path.stat()).st_size, st.st_mtime_ns) for path in files)


def scenarios_below(directory: Path) -> list[Scenario]:
    """`load_scenarios(directory)`, parsed once per process while no file changes (servers
    start by the hundred in tests; `Scenario` objects are frozen, so they are shared)."""
    key = (str(Path(directory).resolve()), _stamp(directory))
    if key not in _loaded:
        if len(_loaded) >= _LOADED_KEPT:
            others = [k for k in _loaded if k[0] != str(SCENARIOS_ROOT.resolve())]
            del _loaded[(others or list(_loaded))[0]]
        _loaded[key] = load_scenarios(directory)
    return list(_loaded[key])


def load_user_scenarios(paths: Sequence[Path]) -> list[Scenario]:
    """Scenario files, and every `*.yaml` below directories (rtproto.scenario.ScenarioError with
    file:line:col problems when any is wrong)."""
    scenarios: list[Scenario] = []
    for path in paths:
        scenarios += load_scenarios(path) if Path(path).is_dir() else [load_scenario(path)]
    return scenarios


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
        # The server's seed and the connection's number ("conn-0003-…"): the same on a replay.
        seed = info.seed * 100_000 + int(info.connection_id.split("-")[1])
        model = info.model or "gpt-realtime"
        scenario = library.by_id[scenario_id]
        return ScenarioPlayer(
            scenario,
            seed=seed,
            model=model,
            epoch_s=int(time.time()),
            answer_unmatched=scenario.unexpected == "error",
        )

    return make
