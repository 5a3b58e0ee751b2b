"""conformance.cpu_wait reads how long a process group waited for a CPU from /proc: two busy
processes pinned to one core each wait about half the time, and a process the group's leader
started is counted with it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from realtime_conformance.conformance.cpu_wait import (
    CpuWait,
    group_members,
    thread_waits,
)

pytestmark = pytest.mark.skipif(not Path("/proc/self/schedstat").exists(), reason="Linux only")

SPIN = "import time\nend = time.monotonic() + 30\nwhile time.monotonic() < end: pass"
# The leader starts a second spinner in its own group, then spins: two runnable processes.
LEADER = f"import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', {SPIN!r}])\n{SPIN}"


@pytest.fixture
def spinners() -> Iterator[int]:
    """A process group of two busy processes, both pinned to one core; yields the group."""
    leader = subprocess.Popen([sys.executable, "-c", LEADER], start_new_session=True)
    try:
        members = wait_for_members(leader.pid, 2)
        core = min(os.sched_getaffinity(0))
        for pid in members:
            os.sched_setaffinity(pid, {core})
        yield leader.pid
    finally:
        os.killpg(leader.pid, 9)
        leader.wait()


def wait_for_members(group: int, count: int) -> list[int]:
    deadline = time.monotonic() + 10
    while len(members := group_members(group)) < count:
        assert time.monotonic() < deadline, f"group {group} has {members}"
        time.sleep(0.01)
    return members


def test_the_group_holds_what_its_leader_started(spinners: int) -> None:
    members = group_members(spinners)
    assert spinners in members and len(members) == 2
    assert group_members(os.getpid()) != members


def test_two_busy_processes_on_one_core_wait_for_it(spinners: int) -> None:
    async def watched(seconds: float) -> CpuWait:
        wait = CpuWait()
        task = asyncio.create_task(wait.watch(lambda: spinners))
        await asyncio.sleep(seconds)
        task.cancel()
        return wait

    start = time.monotonic()
    wait = asyncio.run(watched(0.6))
    end = time.monotonic()
    waited = wait.waited(start, end)
    # Sharing one core, each runnable process waits about half of the time (0.6 s in all for
    # two); the first step is a baseline, so at least a third of it is noted.
    assert waited >= 200, wait.samples
    assert wait.waited(end + 1, end + 2) == 0.0


def test_a_gone_process_has_no_threads() -> None:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert thread_waits([int(done.stdout)]) == {}
