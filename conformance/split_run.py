"""The ordering cases in a process of their own, beside the real-time cases in this one.

In one event loop the ordering cases had to run before the real-time ones: a crowd of clients
starting and exchanging events beside media being paced would make the loop late for the
pacing the media checks judge. So every run paid the ordering phase (about 3.5 s of 70 cases
at 16 at once) before its longest case could start. Ordering cases are judged on order and
payload only; in a child process (the machine's other core, its own loop and mock) they run
while this process's loop paces the real-time cases and sees none of their work.

The two shortest ordering cases still run here first (WARMING_CASES). Nothing about a case
changes: the same cases, client, checks and deviations, a mock with the
run's seed (a case's ids are seeded from the run's seed and its node id, not from its order on
a mock: conformance.harness), the child's own reruns (conformance.rerun). Each result comes
back pickled as it is final (its verdict at once, for the progress line).

All in this process, as before, when there is nothing to gain or the child could not do the
same: only one kind of case, one slot (`--concurrency 1`), a connector (its service serves
this process's mock), a fixed mock port (`--mock-port`: one mock a port), or a client factory
that does not pickle.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from realtime_conformance.conformance.cases import Selected
from realtime_conformance.conformance.drivers.connector import ConnectorFactory
from realtime_conformance.conformance.runner import CaseResult, DriverFactory, broken
from realtime_conformance.conformance.suite import run_selection
from realtime_conformance.conformance.verdicts import KnownDeviations, Verdict

CHILD_NICENESS = 10  # the ordering cases' process, when the cores are contended: ~1/10 of this one
STOP_S = 5.0
# The ordering cases with the shortest time limits that run here, first: they warm what a
# fresh mock and client do on first use (the real-time crowd's start was 45 ms late cold,
# 31 ms warm), at about 0.35 s.
WARMING_CASES = 2  # how long the child gets to exit after its last message
Deliver = Callable[[str, list[Any]], None]  # a message's kind and the rest of it


class ChildFailed(RuntimeError):
    """The ordering cases' process raised or died before it reported every case."""


def separable(
    selection: Sequence[Selected], factory: DriverFactory, concurrency: int, mock_port: int
) -> bool:
    """Whether the ordering cases can run in a child process (see the module's docstring)."""
    kinds = {selected.case.timing == "ordering" for selected in selection}
    if len(kinds) < 2 or concurrency < 2 or mock_port or isinstance(factory, ConnectorFactory):
        return False  # a connector's service is one, started for this process's mock
    try:
        pickle.dumps(factory)
    except Exception:  # a lambda, a local class, an open resource: the child cannot have it
        return False
    return True


@dataclass(frozen=True)
class _Batch:
    """What the child runs: the ordering cases as this process would run them."""

    selection: Sequence[Selected]
    factory: DriverFactory
    deviations: KnownDeviations | None
    concurrency: int
    seed: int


def _child(send: Connection, batch: _Batch) -> None:
    """The child process: run the cases, send each final result, then ("done", None) or
    ("error", the traceback)."""
    try:
        coroutine = run_selection(
            batch.selection, batch.factory, batch.deviations, batch.concurrency,
            lambda result: send.send(("result", _summary(result), pickle.dumps(result))),
            seed=batch.seed,
        )  # fmt: skip
        asyncio.run(coroutine)
        send.send(("done", None))
    except BaseException:
        send.send(("error", traceback.format_exc()))
        raise
    finally:
        send.close()


def _talk(
    child: subprocess.Popen[bytes], batch: bytes, receive: Connection, deliver: Deliver
) -> None:
    """Reader thread: hand the child its batch, then every message it sends until it is done
    or gone (the pipe's end of file: the child exited)."""
    assert child.stdin is not None
    with contextlib.suppress(OSError):  # a child gone at once: its end of file says so below
        child.stdin.write(batch)
    with contextlib.suppress(OSError):
        child.stdin.close()
    while True:
        try:
            kind, *body = receive.recv()
        except (EOFError, OSError):
            deliver("error", [f"the ordering cases' process exited with status {child.wait()}"])
            return
        deliver(kind, body)
        if kind != "result":
            return


Summary = tuple[str, str, float]  # node id, verdict, duration (ms)


def _summary(result: CaseResult) -> Summary:
    return result.node_id, result.verdict.value, result.duration_ms


class _Child:
    """The child's results as they arrive, delivered on this process's loop. They stay
    pickled until the real-time cases are over: unpickling builds a recording's worth of
    objects a case, and that many allocations set off the collector's full passes over a
    heap that holds them (194 ms of a stopped loop in one run) while media is being paced.
    `on_result` hears of each at once: its verdict and duration (no failures, no recording)."""

    def __init__(
        self, selection: Sequence[Selected], on_result: Callable[[CaseResult], None] | None
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.cases = {selected.node_id: selected for selected in selection}
        self.on_result = on_result
        self.pickled: dict[str, bytes] = {}
        self.ended: asyncio.Future[str | None] = self.loop.create_future()

    def deliver(self, kind: str, body: list[Any]) -> None:  # from the reader thread
        self.loop.call_soon_threadsafe(self._take, kind, body)

    def _take(self, kind: str, body: list[Any]) -> None:
        if kind == "result":
            (node_id, verdict, duration_ms), pickled = body
            self.pickled[node_id] = pickled
            if self.on_result is not None:
                selected = self.cases[node_id]
                self.on_result(
                    CaseResult(
                        selected.case, selected.dialect, Verdict(verdict), duration_ms=duration_ms
                    )
                )
        elif not self.ended.done():
            self.ended.set_result(body[0] if kind == "error" else None)

    def outcome(self, selected: Selected, error: str | None) -> CaseResult:
        found = self.pickled.get(selected.node_id)
        if found is not None:
            result: CaseResult = pickle.loads(found)
            return result
        failed = broken(selected, ChildFailed(error or "no result came back for the case"))
        if self.on_result is not None:
            self.on_result(failed)
        return failed


def _start() -> tuple[subprocess.Popen[bytes], Connection]:
    """The child (`python -m` this module, not multiprocessing: a spawned child re-imports
    the parent's main module, which a program that embeds the CLI may not guard); its results
    come on a pipe of their own, so a client that prints cannot garble them."""
    read_fd, write_fd = os.pipe()
    try:
        command = [sys.executable, "-m", __spec__.name if __spec__ else __name__, str(write_fd)]
        child = subprocess.Popen(command, stdin=subprocess.PIPE, pass_fds=(write_fd,))
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)  # the child holds its copy: end of file here when it is gone
    return child, Connection(read_fd, writable=False)


async def run_split(
    selection: Sequence[Selected],
    factory: DriverFactory,
    deviations: KnownDeviations | None,
    concurrency: int,
    on_result: Callable[[CaseResult], None] | None = None,
    *,
    seed: int = 0,
    mock_port: int = 0,
) -> list[CaseResult]:
    """conformance.suite.run_selection, the ordering cases in a child process when separable;
    results in the order of `selection`."""
    if not separable(selection, factory, concurrency, mock_port):
        return await run_selection(
            selection, factory, deviations, concurrency, on_result, seed=seed, mock_port=mock_port
        )
    ordering = [s for s in selection if s.case.timing == "ordering"]
    warming = sorted(ordering, key=lambda s: s.case.timeout_s)[:WARMING_CASES]
    ordering = [s for s in ordering if s not in warming]
    mine = [s for s in selection if s.case.timing != "ordering" or s in warming]
    batch = pickle.dumps(_Batch(ordering, factory, deviations, concurrency, seed))
    child, receive = _start()
    theirs = _Child(ordering, on_result)
    talk = threading.Thread(target=_talk, args=(child, batch, receive, theirs.deliver), daemon=True)
    talk.start()
    try:
        done = await run_selection(mine, factory, deviations, concurrency, on_result, seed=seed)
        error = await theirs.ended
    finally:
        await asyncio.to_thread(_stop, child, talk, receive)
    by_node = {result.node_id: result for result in done}
    by_node |= {s.node_id: theirs.outcome(s, error) for s in ordering}
    return [by_node[s.node_id] for s in selection]


def _stop(child: subprocess.Popen[bytes], talk: threading.Thread, receive: Connection) -> None:
    try:
        child.wait(timeout=STOP_S)
    except subprocess.TimeoutExpired:  # this process stopped early (an error, Ctrl-C)
        child.kill()
        child.wait()
    talk.join(timeout=STOP_S)
    receive.close()


def main() -> None:
    """The child's entry point: the batch on standard input, the pipe's descriptor as argv[1].
    It yields the CPU to the real-time cases: on a busy machine (others' work on every core)
    a child at the same priority took time from this process's loop, which was then late for
    the media it paces (100-220 ms in one run; a caller's pause heard as a barge-in)."""
    with contextlib.suppress(OSError, AttributeError):  # not POSIX: the same priority
        os.nice(CHILD_NICENESS)
    batch = pickle.loads(sys.stdin.buffer.read())
    _child(Connection(int(sys.argv[1]), readable=False), batch)


if __name__ == "__main__":
    main()
