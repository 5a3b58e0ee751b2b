"""A connector's service process for one case: started in a process group of its own, its
output kept (the last lines, for the FAIL text), ready when its media port accepts a TCP
connection, and stopped for sure: SIGTERM to the group, then SIGKILL; a process still alive
when the suite's interpreter exits is killed then (conformance.drivers.process_group).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections import deque
from collections.abc import Mapping, Sequence

from realtime_conformance.conformance.drivers import process_group

TAIL_LINES = 20  # of stderr (and stdout), in a failure's text
TAIL_CHARS = 1500
POLL_S = 0.05


class ServiceFailed(Exception):
    """The service did not start (exited, never listened): the message says which, with its
    output's tail."""


class ServiceProcess:
    def __init__(self, argv: Sequence[str], env: Mapping[str, str]) -> None:
        self.argv = list(argv)
        self.env = dict(env)
        self.process: asyncio.subprocess.Process | None = None
        self.stderr: deque[str] = deque(maxlen=TAIL_LINES)
        self.stdout: deque[str] = deque(maxlen=TAIL_LINES)
        self.started_at = 0.0
        self.exited_at: float | None = None
        self._readers: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self.started_at = time.monotonic()
        try:
            self.process = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=self.env,
                start_new_session=True,  # its own group: stop() reaches its children too
            )
        except OSError as error:
            raise ServiceFailed(f"could not start {self.argv[0]!r}: {error.strerror}") from None
        process_group.started(self.process.pid)
        assert self.process.stdout is not None and self.process.stderr is not None
        self._readers = [
            asyncio.create_task(self._keep(self.process.stderr, self.stderr)),
            asyncio.create_task(self._keep(self.process.stdout, self.stdout)),
        ]

    async def _keep(self, stream: asyncio.StreamReader, lines: deque[str]) -> None:
        while line := await stream.readline():
            lines.append(line.decode("utf-8", "replace").rstrip())

    @property
    def returncode(self) -> int | None:
        return None if self.process is None else self.process.returncode

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
        """Let the readers take the last output of a process that has exited."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*self._readers), 1.0)

    def tail(self) -> str:
        """Its last output lines (stderr, else stdout), for a failure's text."""
        lines = list(self.stderr) or list(self.stdout)
        stream = "stderr" if self.stderr else "stdout"
        if not lines:
            return "it printed nothing"
        text = "\n".join(lines)
        if len(text) > TAIL_CHARS:
            text = "..." + text[-TAIL_CHARS:]
        return f"its {stream} ended:\n{text}"

    async def stop(self, grace_s: float) -> None:
        """SIGTERM to the group, SIGKILL after `grace_s`; never raises, and kills the group
        even when cancelled half-way."""
        if self.process is None:
            return
        try:
            if self.process.returncode is None:
                self._signal(signal.SIGTERM)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.process.wait(), grace_s)
        finally:
            self._signal(signal.SIGKILL)  # the group: children the service left behind too
            process_group.ended(self.process.pid)
            for reader in self._readers:
                reader.cancel()

    def _signal(self, number: int) -> None:
        if self.process is not None:
            process_group.signal_group(self.process.pid, number)
