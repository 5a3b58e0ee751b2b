"""`realtime-conformance record` from the shell: the proxy process (ready line, a transcript per
exchange, a clean stop on SIGINT), `--to-scenario` to standard output, and its usage errors."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp

from realtime_conformance.mockserver.app import running_server
from realtime_conformance.mockserver.options import ServerOptions
from realtime_conformance.rtproto.scenario import parse_scenario
from tests.support.mock_behaviours import run

READY = re.compile(r"recording proxy ready: url=(?P<url>\S+) http=(?P<http>\S+) ")
EXIT_USAGE = 2


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "realtime_conformance.conformance.cli", "record", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_the_proxy_process_records_and_stops(tmp_path: Path) -> None:
    async def body() -> tuple[int, str]:
        async with running_server(ServerOptions(seed=1)) as mock:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "realtime_conformance.conformance.cli", "record",
                "--upstream", mock.http_url, "--output", str(tmp_path),
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            assert process.stdout is not None and process.stderr is not None
            ready = READY.search((await process.stdout.readline()).decode())
            assert ready is not None
            async with aiohttp.ClientSession() as session:
                url = f"{ready['http']}/responses"
                payload = {"model": "gpt-4.1", "input": "Hello"}
                headers = {"Authorization": "Bearer sk-secret-proxy-key"}
                async with session.post(url, json=payload, headers=headers) as answer:
                    assert answer.status == 200
                    await answer.read()
            process.send_signal(signal.SIGINT)
            status = await process.wait()
            return status, (await process.stderr.read()).decode()

    status, err = run(body())
    assert status == 0 and "Traceback" not in err, err
    [transcript] = tmp_path.glob("*.jsonl")
    text = transcript.read_text()
    assert "sk-secret-proxy-key" not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["meta"]["kind"] == "http_request"
    assert lines[-1]["meta"]["kind"] == "http_response" and lines[-1]["meta"]["status"] == 200


def test_to_scenario_prints_a_scenario_that_loads(tmp_path: Path) -> None:
    handshake = {"kind": "handshake", "path": "/v1/realtime", "dialect": "ga"}
    created = {"type": "session.created", "event_id": "e1", "session": {"type": "realtime"}}
    lines = [
        {"t_ms": 0, "dir": "meta", "meta": handshake},
        {"t_ms": 1, "dir": "server", "event": created},
        {"t_ms": 5, "dir": "client", "event": {"type": "response.create"}},
        {"t_ms": 30, "dir": "server", "event": {"type": "error", "event_id": "e2", "error": {
            "type": "invalid_request_error", "code": "x", "message": "m", "param": None,
            "event_id": None}}},
    ]  # fmt: skip
    transcript = tmp_path / "t.jsonl"
    transcript.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = cli("--to-scenario", str(transcript), "--id", "901.2")
    assert result.returncode == 0, result.stderr
    scenario = parse_scenario(result.stdout, "printed.yaml")
    assert scenario.id == "901.2" and scenario.dialects == ("ga",) and scenario.ordered
    [rule] = scenario.rules
    assert rule.limit == 1 and rule.delay_ms == 25


def test_usage_errors_are_one_line(tmp_path: Path) -> None:
    for args, words in [
        ((), "--upstream"),
        (("--upstream", "ftp://x"), "--upstream"),
        (("--to-scenario", str(tmp_path / "gone.jsonl")), "gone.jsonl"),
    ]:
        result = cli(*args)
        assert result.returncode == EXIT_USAGE and "Traceback" not in result.stderr
        [line] = result.stderr.splitlines()
        assert words in line
