"""`pytest conformance`: one item per (case, dialect); -n 2 and -n 0 give the same results; the
run's seed (given or fresh) in results.json and every worker's mock, as `run` has it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from realtime_conformance.conformance.results import comparable

REPO = Path(__file__).resolve().parent.parent
TIMEOUT_S = 120
CASES = ("--case", "5.1.1", "--case", "1.1.1", "--case", "3.4.1")


def pytest_conformance(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return finished(started(out, *args))


def started(out: Path, *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "pytest", "conformance", *CASES, "-p", "no:cacheprovider"]
    command += ["--client", "tests.support.fake_driver:correct", "--output", str(out), *args]
    pipe = subprocess.PIPE
    return subprocess.Popen(command, cwd=REPO, stdout=pipe, stderr=pipe, text=True)


def finished(process: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_xdist_workers_and_one_process_give_the_same_results(tmp_path: Path) -> None:
    # Both runs at once (own output folders, own mocks on free ports): the cases run are
    # ordering cases (3.4.1 needs audio: unimplemented), judged on order, not timing, so
    # sharing the machine changes nothing but wall time.
    in_two = started(tmp_path / "n2", "-p", "xdist", "-n", "2", "--seed", "4242")
    serial = pytest_conformance(tmp_path / "n0", "-n", "0", "-v")
    parallel = finished(in_two)
    assert parallel.returncode == 0, parallel.stdout[-3000:]
    assert serial.returncode == 0, serial.stdout[-3000:]
    nodes = [
        line.split()[0] for line in serial.stdout.splitlines() if line.startswith("conformance::")
    ]
    assert nodes == [
        "conformance::1.1.1[ga]",
        "conformance::1.1.1[beta]",
        "conformance::3.4.1[ga]",
        "conformance::3.4.1[beta]",
        "conformance::5.1.1[ga]",
        "conformance::5.1.1[beta]",
    ]  # the cases only: none of the package's modules is collected as tests
    two, one = (json.loads((tmp_path / n / "results.json").read_text()) for n in ("n2", "n0"))
    assert two["run"]["workers"] == 2 and one["run"]["workers"] == 1
    assert two["run"]["seed"] == 4242 and "seed 4242 (replay: --seed 4242)" in parallel.stdout
    assert handshake_seeds(tmp_path / "n2") == {4242}  # every worker's mock had the run's seed
    assert handshake_seeds(tmp_path / "n0") == {one["run"]["seed"]}  # a fresh one, reported
    assert comparable(two) == comparable(one)
    assert two["totals"]["PASS"] == 4 and two["totals"]["UNIMPLEMENTED"] == 2
    recordings = sorted(p.name for p in (tmp_path / "n2" / "recordings").iterdir())
    assert recordings == [f"{c}-{d}.jsonl" for c in ("1.1.1", "5.1.1") for d in ("beta", "ga")]
    cases = ET.parse(tmp_path / "n2" / "junit.xml").getroot().findall("testsuite/testcase")
    assert [c.get("name") for c in cases] == [n.removeprefix("conformance::") for n in nodes]


def handshake_seeds(out: Path) -> set[int]:
    """The seeds the mock's handshake lines of every recording show."""
    texts = (path.read_text() for path in (out / "recordings").iterdir())
    return {int(seed) for text in texts for seed in re.findall(r'"seed":(\d+)', text)}


def test_a_negative_seed_is_a_usage_error(tmp_path: Path) -> None:
    refused = pytest_conformance(tmp_path, "--seed", "-1")
    assert refused.returncode == 4, refused.stdout + refused.stderr  # pytest's usage error
    assert "--seed must be 0 or more" in refused.stderr
    assert not (tmp_path / "results.json").exists()


def test_the_bare_word_names_the_installed_suite_outside_a_checkout(tmp_path: Path) -> None:
    """From a directory with no `conformance` folder (a vendor's project) `pytest conformance`
    still means the suite; a folder of that name, where there is one, is taken as written."""
    command = [sys.executable, "-m", "pytest", "conformance", "--collect-only", "-q"]
    command += ["--case", "5.1.1", "-p", "no:cacheprovider"]
    listed = subprocess.run(
        command, check=False, cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT_S
    )
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "5.1.1[ga]" in listed.stdout and "5.1.1[beta]" in listed.stdout
    (tmp_path / "conformance").mkdir()  # the user's own folder of that name wins
    own = subprocess.run(
        command, check=False, cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT_S
    )
    assert "5.1.1[ga]" not in own.stdout, own.stdout
