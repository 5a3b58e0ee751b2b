"""`--client-cmd` from the command line: `realtime-conformance run` and `pytest conformance`
drive a command client end to end; a mistake in the option is one line and exit status 2
(pytest's usage error: 4), with no traceback and nothing run."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from realtime_conformance.conformance.cli import main

REPO = Path(__file__).resolve().parent.parent
TIMEOUT_S = 120
REFERENCE = f"{sys.executable} -m realtime_conformance.refclient.driver"
TEXT_TURN = ("--case", "5.1.1", "--dialect", "ga")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "realtime_conformance.conformance.cli", *args]
    return subprocess.run(
        command, check=False, cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT_S
    )


def test_run_drives_a_command_client_end_to_end(tmp_path: Path) -> None:
    done = cli("run", "--client-cmd", REFERENCE, *TEXT_TURN, "--output", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"client reference ({REFERENCE})" in done.stdout
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["run"]["client"] == f"reference ({REFERENCE})"
    assert [c["verdict"] for c in results["cases"]] == ["PASS"]


def test_pytest_conformance_drives_a_command_client(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "pytest", "conformance", *TEXT_TURN, "-p", "no:cacheprovider"]
    command += ["--client-cmd", REFERENCE, "--output", str(tmp_path), "-n", "0"]
    done = subprocess.run(
        command, check=False, cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT_S
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    assert [c["verdict"] for c in results["cases"]] == ["PASS"]


def usage_error(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    assert main(["run", *args, *TEXT_TURN], out, err) == 2
    (line,) = err.getvalue().splitlines()  # one line: no traceback
    assert out.getvalue() == ""
    return line


def test_mistakes_in_the_command_are_one_line_and_exit_2() -> None:
    prefix = "realtime-conformance run: "
    assert usage_error("--client-cmd", "") == prefix + "--client-cmd: the command is empty"
    assert usage_error("--client-cmd", "  ") == prefix + "--client-cmd: the command is empty"
    both = usage_error("--client", "tests.support.fake_driver:correct", "--client-cmd", "python")
    assert both == prefix + "--client and --client-cmd: give one client under test, not both"
    missing = usage_error("--client-cmd", "no-such-client-program --flag")
    assert missing == (
        prefix + "--client-cmd 'no-such-client-program --flag': "
        "command not found: no-such-client-program"
    )
    unbalanced = usage_error("--client-cmd", "python -c 'print(1)")
    assert unbalanced == prefix + '--client-cmd "python -c \'print(1)": No closing quotation'
    not_executable = usage_error("--client-cmd", f"{REPO / 'README.md'}")
    assert not_executable.endswith("README.md is not an executable file")


def test_pytest_conformance_refuses_a_bad_command_as_a_usage_error(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "pytest", "conformance", *TEXT_TURN, "-p", "no:cacheprovider"]
    command += ["--client-cmd", "no-such-client-program", "--output", str(tmp_path)]
    done = subprocess.run(
        command, check=False, cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT_S
    )
    assert done.returncode == 4, done.stdout + done.stderr  # pytest's usage error
    assert "command not found: no-such-client-program" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert not (tmp_path / "results.json").exists()


def test_a_client_that_crashes_at_start_is_run_and_fails_every_case(tmp_path: Path) -> None:
    bad = f"{sys.executable} {REPO / 'tests' / 'support' / 'bad_command_client.py'} crash_at_start"
    done = cli("run", "--client-cmd", bad, "--case", "5.1.1", "--output", str(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr  # not a usage error: the client's
    note = "the client command did not start well (every case will fail): the client process"
    assert f"{note} exited with status 3 before its hello line" in done.stdout
    results = json.loads((tmp_path / "results.json").read_text())
    assert [c["verdict"] for c in results["cases"]] == ["FAIL", "FAIL"]  # not UNIMPLEMENTED


def test_a_run_stopped_half_way_leaves_no_client_process(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    bad = f"{sys.executable} {REPO / 'tests' / 'support' / 'bad_command_client.py'} pidfile"
    command = [
        sys.executable,
        "-m",
        "realtime_conformance.conformance.cli",
        "run",
        "--client-cmd",
        bad,
        *TEXT_TURN,
    ]
    command += ["--output", str(tmp_path / "out")]
    env = {**os.environ, "BAD_CLIENT_PIDFILE": str(pids)}
    with subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL) as suite:  # fmt: skip
        deadline = time.monotonic() + 30
        while len(started(pids)) < 2:  # the probe's child, then the case's (hanging now)
            assert time.monotonic() < deadline and suite.poll() is None
            time.sleep(0.05)
        suite.send_signal(signal.SIGINT)
        suite.wait(timeout=30)
    left = [pid for pid in started(pids) if alive(pid)]
    for pid in left:  # the test's own clean-up when the suite's failed
        os.kill(pid, signal.SIGKILL)
    assert not left


def started(pids: Path) -> list[int]:
    return [int(line) for line in pids.read_text().split()] if pids.exists() else []


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status
