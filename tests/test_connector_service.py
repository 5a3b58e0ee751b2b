"""A connector's service process (conformance.drivers.service): ready when it listens, however
much it logs; a service that exits early is reported with its output's tail; stopping it leaves
nothing of its process group behind, even a child that ignores SIGTERM."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest

from realtime_conformance.conformance.drivers.connector import free_port
from realtime_conformance.conformance.drivers.service import ServiceFailed, ServiceProcess

LISTEN = """
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
print("listening", flush=True)
"""
# One line far over any reader's line limit, then a megabyte of log lines: more than a pipe
# holds, so a service whose output is not read as it comes blocks before it listens.
FLOODS = (
    'import sys\nsys.stdout.write("x" * 200_000 + "\\n")\n'
    'for i in range(20_000): print("log line", i, "y" * 50)\n'
    + LISTEN
    + "import time; time.sleep(60)\n"
)
EXITS = 'import sys\nprint("no config file: /etc/bridge.yaml", file=sys.stderr)\nsys.exit(3)\n'
# A service that ignores SIGTERM and leaves a grandchild that ignores it too.
STUBBORN = (
    "import signal, subprocess, sys\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "kid = subprocess.Popen([sys.executable, '-c', 'import signal, time; "
    "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)'])\n"
    'print("kid", kid.pid, flush=True)\n' + LISTEN + "import time; time.sleep(60)\n"
)


def service(code: str) -> tuple[ServiceProcess, int]:
    port = free_port("127.0.0.1")
    return ServiceProcess([sys.executable, "-c", code, str(port)], dict(os.environ)), port


def test_a_service_that_logs_long_lines_and_a_lot_still_gets_ready() -> None:
    async def body() -> str:
        process, port = service(FLOODS)
        await process.start()
        try:
            await process.wait_listening("127.0.0.1", port, 30)
        finally:
            await process.stop(0.5)
        return process.tail()

    tail = asyncio.run(body())
    assert "log line 19999" in tail and tail.endswith("listening")


def test_a_service_that_exits_first_says_why_with_its_stderr() -> None:
    async def body() -> ServiceFailed:
        process, port = service(EXITS)
        await process.start()
        with pytest.raises(ServiceFailed) as failed:
            await process.wait_listening("127.0.0.1", port, 30)
        assert "no config file: /etc/bridge.yaml" in process.tail()
        await process.stop(0.5)
        return failed.value

    assert "exited with status 3 before listening" in str(asyncio.run(body()))


def gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rpartition(")")[2].split()[0] == "Z"  # killed, not yet reaped


def test_stopping_kills_the_group_even_what_ignores_sigterm() -> None:
    async def body() -> tuple[int, int]:
        process, port = service(STUBBORN)
        await process.start()
        await process.wait_listening("127.0.0.1", port, 30)
        kid = int(next(line for line in process.stdout.lines if line.startswith("kid")).split()[1])
        leader = process.pid
        assert leader is not None
        await process.stop(0.2)
        return leader, kid

    leader, kid = asyncio.run(body())
    deadline = time.monotonic() + 10
    while not (gone(leader) and gone(kid)):
        assert time.monotonic() < deadline, "the service's group outlived stop()"
        time.sleep(0.01)
