"""A connector's service process for one case: a child process (conformance.drivers.
child_process: its own process group, its output read as it comes, the group killed for sure),
ready when its media port accepts a TCP connection, stopped with SIGTERM to the group, then
SIGKILL. Its last output lines go into a failure's text.

A service may log as much as it likes, in lines as long as it likes: its output is read as it
comes (never left in a full pipe, which would block the service and look like a hang) and only
the tail is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Mapping, Sequence

from realtime_conformance.conformance.drivers.child_process import (
    MAX_STDERR_LINE,
    STDERR_TAIL_LINES,
    Child,
)

TAIL_CHARS = 1500
POLL_S = 0.05
DRAIN_S = 1.0  # after the service exits, for its last output to arrive


class ServiceFailed(Exception):
    """The service did not start (exited, never listened): the message says which, with its
    output's tail."""


class StdoutTail:
    """The service's stdout, its last lines kept (conformance.drivers.child_process.ChildEvents)."""

    def __init__(self) -> None:
        self.lines: deque[str] = deque(maxlen=STDERR_TAIL_LINES)

    def line(self, text: str) -> None:
        self.lines.append(text[:MAX_STDERR_LINE])

    def problem(self, text: str) -> None:  # a line too long: kept as a note, reading goes on
        self.lines.append(f"[{text[:MAX_STDERR_LINE]}]")

    def gone(self) -> None:
        pass


class ServiceProcess:
    def __init__(self, argv: Sequence[str], env: Mapping[str, str]) -> None:
        self.argv = list(argv)
        self.env = dict(env)
        self.child: Child | None = None
        self.stdout = StdoutTail()
        self.started_at = 0.0

    async def start(self) -> None:
        self.started_at = time.monotonic()
        try:
            self.child = await Child.spawn(self.argv, self.env, self.stdout)
        except OSError as error:
            raise ServiceFailed(f"could not start {self.argv[0]!r}: {error.strerror}") from None
        self.child.close_stdin()  # a service reads no input: it gets end-of-file at once

    @property
    def pid(self) -> int | None:
        return self.child.pid if self.child is not None else None

    @property
    def returncode(self) -> int | None:
        return self.child.returncode if self.child is not None else None

    async def wait_listening(self, host: str, port: int, timeout_s: float) -> float:
        """Wait until `host:port` accepts a connection; the ms it took since start.
        ServiceFailed when the process exits first or the time runs out."""
        deadline = time.monotonic() + timeout_s
        while True:
            if self.returncode is not None:
                await self._drain()
                raise ServiceFailed(
                    f"exited with status {self.returncode} before listening on {host}:{port}"
                )
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection(host, port)
                writer.close()
                return round((time.monotonic() - self.started_at) * 1000, 1)
            if time.monotonic() >= deadline:
                raise ServiceFailed(f"did not listen on {host}:{port} within {timeout_s:g} s")
            await asyncio.sleep(POLL_S)

    async def _drain(self) -> None:
        """Let the last output of a process that has exited arrive."""
        if self.child is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.child.protocol.stderr_closed.wait(), DRAIN_S)

    def tail(self) -> str:
        """Its last output lines (stderr, else stdout), for a failure's text."""
        stderr = self.child.stderr_tail() if self.child is not None else []
        lines, stream = (stderr, "stderr") if stderr else (list(self.stdout.lines), "stdout")
        if not lines:
            return "it printed nothing"
        text = "\n".join(lines)
        if len(text) > TAIL_CHARS:
            text = "..." + text[-TAIL_CHARS:]
        return f"its {stream} ended:\n{text}"

    async def stop(self, grace_s: float) -> None:
        """SIGTERM to the group, SIGKILL after `grace_s`; never raises, and kills the group
        even when cancelled half-way."""
        if self.child is not None:
            await self.child.stop(grace_s)
