"""The `realtime_mock` fixture's documented example (examples/test_realtime_mock_example.py,
official `openai` SDK) passes when run as a user would: pytest in a directory of their own,
the fixture found through the `pytest11` entry point. .ci/run runs it again in a fresh venv
holding only the built wheel, pytest and openai."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).parent.parent / "examples" / "test_realtime_mock_example.py"
TIMEOUT_S = 300


def run_pytest(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args]
    return subprocess.run(
        command, cwd=directory, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )


def test_the_example_passes_outside_the_checkout(tmp_path: Path) -> None:
    pytest.importorskip("openai")
    shutil.copy(EXAMPLE, tmp_path)
    result = run_pytest(tmp_path, "--realtime-mock-seed", "1234")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout
    assert "realtime_mock: seed 1234" in result.stdout


def test_each_test_gets_a_reset_mock(tmp_path: Path) -> None:
    (tmp_path / "test_reset.py").write_text(
        """
import aiohttp, asyncio

def connect(mock):
    async def go():
        async with aiohttp.ClientSession() as session:
            url = mock.websocket_base_url + "/realtime?model=gpt-realtime"
            headers = {"Authorization": "Bearer " + mock.api_key}
            async with session.ws_connect(url, headers=headers) as ws:
                return (await ws.receive_json())["type"]
    return asyncio.run(go())

def test_first(realtime_mock):
    realtime_mock.scenario({"on_start": ["session.created"], "unexpected": "ignore"})
    assert connect(realtime_mock) == "session.created"
    assert len(realtime_mock.connections()) == 1

def test_second(realtime_mock):
    assert realtime_mock.connections() == []
    assert realtime_mock.state.selected_scenario is None
    assert connect(realtime_mock) == "session.created"
    [connection] = realtime_mock.connections()
    assert connection["scenario"] is None and connection["verdict"] is None
""",
        encoding="utf-8",
    )
    result = run_pytest(tmp_path, "-s")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout and "realtime_mock: seed " in result.stdout
