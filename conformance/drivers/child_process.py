"""One child process of the suite (a command client, a connector's service): its stdout as
lines, the tail of its stderr, and its whole process group killed at the end (a client that
starts helpers of its own leaves none behind), with the pipes closed and the process reaped (no
zombie, no open descriptor).

A protocol of our own over `loop.subprocess_exec` rather than StreamReaders: the data is
pushed to us as it comes, so a client that floods stdout or stderr can neither stall the
suite nor keep a pipe open because nobody reads it.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Protocol

from realtime_conformance.conformance.drivers import process_group

STDERR_TAIL_LINES = 20
MAX_LINE_BYTES = 1 << 20  # one stdout line (a JSON object); longer is a protocol failure
MAX_STDERR_LINE = 2000  # characters kept of one stderr line
EXIT_GRACE_S = 0.3  # after the process exits, its last lines may still be in the pipe
REAP_S = 2.0  # how long a killed group gets to go, and its pipes to drain


class ChildEvents(Protocol):
    """What the driver hears of its child."""

    def line(self, text: str) -> None: ...  # one stdout line, without its newline

    def problem(self, text: str) -> None: ...  # stdout is unusable (a line too long)

    def gone(self) -> None: ...  # stdout closed, or the process exited (may come twice)


class ChildProtocol(asyncio.SubprocessProtocol):
    """Feeds stdout lines to the driver, keeps stderr's last lines, says when the child is gone
    (stdout closed, or the process exited and its last output had time to arrive)."""

    def __init__(self, events: ChildEvents) -> None:
        self.events = events
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
        self.transport: asyncio.SubprocessTransport | None = None
        self.exited = asyncio.get_running_loop().create_future()
        self.stderr_closed = asyncio.Event()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        if fd == 1:
            self.stdout += data
            self._stdout_lines()
        elif fd == 2:
            self.stderr += data
            *lines, rest = self.stderr.split(b"\n")
            self.stderr = bytearray(rest[-MAX_STDERR_LINE * 4 :])
            self.tail.extend(_text(line)[:MAX_STDERR_LINE] for line in lines)

    def _stdout_lines(self) -> None:
        while (end := self.stdout.find(b"\n")) >= 0:
            line = bytes(self.stdout[:end])
            del self.stdout[: end + 1]
            self.events.line(_text(line))
        if len(self.stdout) > MAX_LINE_BYTES:
            head = _text(bytes(self.stdout[:80]))
            self.stdout.clear()
            self.events.problem(f"a stdout line longer than {MAX_LINE_BYTES} bytes: {head!r}...")

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        if fd == 1:
            if self.stdout.strip():  # a last line without its newline still counts
                self.events.line(_text(bytes(self.stdout)))
            self.stdout.clear()
            self.events.gone()
        elif fd == 2:
            if self.stderr.strip():
                self.tail.append(_text(bytes(self.stderr))[:MAX_STDERR_LINE])
            self.stderr.clear()
            self.stderr_closed.set()

    def process_exited(self) -> None:
        code = self.transport.get_returncode() if self.transport else None
        if not self.exited.done():
            self.exited.set_result(code)
        asyncio.get_running_loop().call_later(EXIT_GRACE_S, self.events.gone)


def _text(line: bytes | bytearray) -> str:
    return line.decode("utf-8", "replace").rstrip("\r")


class Child:
    """A running child: write lines to its stdin; kill its group and reap it at the end."""

    def __init__(self, transport: asyncio.SubprocessTransport, protocol: ChildProtocol) -> None:
        self.transport, self.protocol = transport, protocol
        self.pid = transport.get_pid()

    @classmethod
    async def spawn(
        cls,
        argv: Sequence[str],
        env: Mapping[str, str],
        events: ChildEvents,
    ) -> Child:
        """Start `argv` in a new session (its own process group). OSError if it cannot start."""
        loop = asyncio.get_running_loop()
        transport, protocol = await loop.subprocess_exec(
            lambda: ChildProtocol(events),
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=dict(env),
            start_new_session=True,
        )
        child = cls(transport, protocol)
        process_group.started(child.pid)
        return child

    def write(self, line: str) -> None:
        stdin = self.transport.get_pipe_transport(0)
        if stdin is not None and not stdin.is_closing():
            stdin.write(line.encode() + b"\n")  # type: ignore[attr-defined]

    def close_stdin(self) -> None:
        stdin = self.transport.get_pipe_transport(0)
        if stdin is not None:
            stdin.close()

    @property
    def returncode(self) -> int | None:
        return self.transport.get_returncode()

    def stderr_tail(self) -> list[str]:
        return list(self.protocol.tail)

    async def exited(self, within_s: float) -> int | None:
        """The exit status once the process has exited, or None if it has not within_s."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.protocol.exited), within_s)
        return self.returncode

    async def stop(self, grace_s: float) -> None:
        """SIGTERM to the group, then `kill` once the leader has exited or `grace_s` has
        passed. Never raises; the group is killed even when this is cancelled half-way."""
        try:
            if self.returncode is None:
                process_group.signal_group(self.pid, signal.SIGTERM)
                await self.exited(grace_s)
        finally:
            await self.kill()  # its SIGKILL goes out before its first await, cancelled or not

    async def kill(self) -> None:
        """Kill the whole process group, reap the process, read stderr to its end (bounded)
        and close every pipe. Safe to call twice."""
        process_group.signal_group(self.pid, signal.SIGKILL)
        await self.exited(REAP_S)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.protocol.stderr_closed.wait(), REAP_S / 4)
        # anything the leader started while it died (the group lives while any member does)
        process_group.signal_group(self.pid, signal.SIGKILL)
        process_group.ended(self.pid)
        self.transport.close()
