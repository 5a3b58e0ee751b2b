"""Warm start: what a first connection needs is ready when `running_server` returns."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from realtime_conformance.mockserver.app import running_server
from realtime_conformance.mockserver.options import ServerOptions
from realtime_conformance.mockserver.scenarios import scenarios_below
from realtime_conformance.rtproto.scenario import ScenarioError
from realtime_conformance.rtproto.server.realtime.session import shared_validator


def test_catalogue_and_validators_are_loaded_when_the_server_is_returned() -> None:
    async def check() -> None:
        async with running_server(ServerOptions(validate_events=True)) as server:
            assert "by_id" in vars(server.state.scenarios)  # the cached_property has run
            assert server.state.scenarios.by_id  # the catalogue, not an empty library
            assert "registry" in vars(shared_validator().store)
            assert server.state._validator is not None  # validate_events: the server-side one

    asyncio.run(check())


def test_a_broken_scenario_directory_still_fails_at_first_use_not_at_start(
    tmp_path: Path,
) -> None:
    (tmp_path / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")

    async def check() -> None:
        async with running_server(ServerOptions(scenarios_dir=tmp_path)) as server:
            assert "by_id" not in vars(server.state.scenarios)
            with pytest.raises(ScenarioError):  # the loader's own error, as before
                _ = server.state.scenarios.by_id

    asyncio.run(check())


def test_a_directory_is_parsed_again_only_when_a_file_changes(tmp_path: Path) -> None:
    scenario = Path(__file__).parent.parent / "fixtures" / "scenarios"
    first = next(scenario.rglob("*.yaml"))
    copy = tmp_path / first.name
    copy.write_text(first.read_text(encoding="utf-8"), encoding="utf-8")
    once, again = scenarios_below(tmp_path), scenarios_below(tmp_path)
    assert once[0] is again[0]  # shared, not parsed again
    copy.write_text(first.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert scenarios_below(tmp_path)[0] is not once[0]
