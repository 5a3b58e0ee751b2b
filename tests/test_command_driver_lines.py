"""The command driver against one-line children (`python -c`), no mock: each way a line can be
wrong has its own words; a report reaches ClientReports; an exit by signal is named."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar

import pytest

from realtime_conformance.conformance.drivers.base import DriverError, Endpoints
from realtime_conformance.conformance.drivers.child_process import MAX_LINE_BYTES
from realtime_conformance.conformance.drivers.command import CommandDriver, Hello

T = TypeVar("T")
HELLO = 'print(\'{"driver": "x", "capabilities": ["text"]}\', flush=True)'
ENDPOINTS = Endpoints("ws://127.0.0.1:9/v1/realtime", "http://127.0.0.1:9/v1", "sk-x", "ga", "m")


class Reports:
    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []

    def report(self, name: str, data: Mapping[str, Any] | None = None) -> None:
        self.seen.append((name, dict(data or {})))


def run(body: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(body, 30))


async def started(source: str, reports: Reports | None = None) -> CommandDriver:
    driver = CommandDriver((sys.executable, "-c", source), Hello("x", frozenset({"text"})), 3, 3)
    try:
        await driver.start(ENDPOINTS, reports or Reports())
    except BaseException:
        await driver.close()
        raise
    return driver


def failure_of(source: str) -> str:
    async def body() -> str:
        with pytest.raises(DriverError) as raised:
            driver = await started(source)
            try:
                await driver.send_text("hi")
            finally:
                await driver.close()
        return str(raised.value)

    return run(body())


def replying(after_start: str) -> str:
    """A child that says hello, answers `start`, then runs `after_start` on the next command."""
    return "\n".join([
        "import json, sys",
        HELLO,
        "line = sys.stdin.readline()",
        'print(json.dumps({"id": json.loads(line)["id"], "ok": True}), flush=True)',
        "line = sys.stdin.readline()",
        after_start,
    ])  # fmt: skip


def test_a_first_line_that_is_not_the_hello() -> None:
    text = failure_of('print(\'{"id": 1, "ok": true}\', flush=True); import time; time.sleep(9)')
    assert text.startswith("the client's first line is not its hello (the first line must be")
    assert text.endswith("""'{"id": 1, "ok": true}'; its stderr was empty""")


def test_a_hello_with_an_unknown_capability() -> None:
    text = failure_of('print(\'{"driver": "x", "capabilities": ["telepathy"]}\', flush=True)')
    assert "unknown capabilities ['telepathy']" in text


def test_json_that_is_no_reply_nor_report() -> None:
    text = failure_of(replying('print(\'{"hello": "again"}\', flush=True); sys.stdin.read()'))
    assert text.startswith(
        """the client wrote a line that is no reply nor report: '{"hello": "again"}'"""
    )


def test_a_line_over_the_limit() -> None:
    flood = f'sys.stdout.write("x" * {MAX_LINE_BYTES + 10}); sys.stdout.flush(); sys.stdin.read()'
    text = failure_of(replying(flood))
    assert text.startswith(f"the client wrote a stdout line longer than {MAX_LINE_BYTES} bytes")


def test_an_exit_by_signal_is_named() -> None:
    text = failure_of(replying("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"))
    assert text.startswith("the client process was killed by SIGSEGV before its reply to send_text")


def test_reports_reach_client_reports_and_a_bad_report_is_a_failure() -> None:
    reports = Reports()
    good = '{"report": "WebSocketMediaStarted", "data": {"n": 1}}'
    source = replying(f"print({good!r}, flush=True); print('{{\"report\": 7}}', flush=True)")

    async def body() -> str:
        driver = await started(source, reports)
        with pytest.raises(DriverError) as raised:
            await driver.send_text("hi")
        await driver.close()
        return str(raised.value)

    text = run(body())
    assert reports.seen == [("WebSocketMediaStarted", {"n": 1})]
    assert text.startswith('a report must be {"report": NAME, "data": {...}}')
