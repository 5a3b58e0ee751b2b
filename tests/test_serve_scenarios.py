"""`serve` with the user's own scenarios (issue 14, item 3), as a process: `--scenario
PATH.yaml` plays a file, `--scenarios DIR` adds a directory alongside the catalogue; an
unexpected client event gets an `error` naming what was expected; the control API gives each
connection a verdict and lists refused handshakes; stderr has one line per connection and a
summary at shutdown."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp

from tests.support.mock_behaviours import run

READY = re.compile(r"url=(?P<url>\S+) control=(?P<control>\S+) seed=(?P<seed>\d+)$")
MINE = """id: 77.1.1
title: Mine
requirement: The client MUST update the session once.
dialects: [ga]
on_start: [session.created]
expect:
  - when: {type: session.update}
    reply: [session.updated]
    times: once
"""
HEADERS = {"Authorization": "Bearer sk-test-serve"}


async def exchange(url: str, *events: dict[str, Any]) -> list[dict[str, Any]]:
    """Send `events` and read until the server has answered each (then a quiet 0.3 s)."""
    received: list[dict[str, Any]] = []
    async with aiohttp.ClientSession() as session, session.ws_connect(url, headers=HEADERS) as ws:
        for event in events:
            await ws.send_json(event)
        while (message := await ws.receive(timeout=5)).type is aiohttp.WSMsgType.TEXT:
            received.append(message.json())
            if len(received) == 1 + len(events):
                break
    return received


async def control(base: str, path: str) -> Any:
    async with aiohttp.ClientSession() as session, session.get(f"{base}{path}") as answer:
        return await answer.json()


def test_serve_plays_a_scenario_file_and_reports_on_it(tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text(MINE)
    extra = tmp_path / "more"
    extra.mkdir()
    (extra / "other.yaml").write_text(MINE.replace("77.1.1", "77.1.2"))

    async def body() -> tuple[list[Any], dict[str, Any], dict[str, Any], str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "realtime_conformance.mockserver",
            "--scenario", str(mine), "--scenarios", str(extra),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stdout is not None and process.stderr is not None
        ready = READY.search((await process.stdout.readline()).decode().strip())
        assert ready is not None
        realtime = f"{ready['url']}/realtime?model=gpt-realtime"
        answers = [
            await exchange(realtime, {"type": "session.update", "session": {"type": "realtime"}}),
            await exchange(realtime, {"type": "response.create", "event_id": "evt_9"}),
            await exchange(realtime + "&scenario=77.1.2"),
        ]
        [refused_event] = await exchange(realtime + "&scenario=77.1.9")
        assert refused_event["error"]["code"] == "unknown_scenario"
        connections = await control(ready["control"], "connections")
        refused = await control(ready["control"], "refused")
        process.send_signal(signal.SIGINT)
        await process.wait()
        return answers, connections, refused, (await process.stderr.read()).decode()

    answers, connections, refused, err = run(body())
    good, unexpected, other = answers
    assert [e["type"] for e in good] == ["session.created", "session.updated"]
    error = unexpected[-1]
    assert error["type"] == "error" and error["error"]["code"] == "mock_unexpected_event"
    assert "session.update" in error["error"]["message"] and error["error"]["event_id"] == "evt_9"
    assert [e["type"] for e in other] == ["session.created"]
    verdicts = [(c["scenario"], c["verdict"]) for c in connections["connections"]]
    assert verdicts == [("77.1.1", "pass"), ("77.1.1", "fail"), ("77.1.2", "fail"), (None, None)]
    [refusal] = refused["refused"]
    assert refusal["status"] == 101 and "77.1.9" in refusal["message"]
    lines = err.splitlines()
    assert sum(" scenario 77.1.1 pass" in line for line in lines) == 1, err
    assert sum(": refused (unknown_scenario): Unknown scenario" in line for line in lines) == 1, err
    assert lines[-1].startswith("mock server stopped: 4 connection(s)"), err
    assert "Traceback" not in err
