"""The openai npm package's Realtime client through its shim (clients/node/shim.mjs), judged by
the suite as a command client: the text, function-call and error cases in both dialects.

The shim's dependencies come from the npm registry, installed once per package-lock.json into
~/.cache/realtime-conformance/node/<lock hash>/ (REALTIME_CONFORMANCE_NODE_CACHE overrides the
root); the shim runs from a copy in a directory below them, since Node resolves an ES
module's imports from its own directory up. Without node, npm or a reachable registry the
tests are skipped, saying why.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "clients" / "node"
MANIFESTS = ("package.json", "package-lock.json")
INSTALL_S = 300.0
PING_S = 15.0
RUN_S = 180.0
AT_ONCE = 4  # cases at once: a 6.1.2 call paced in real time among them, on a loaded CI
PASSING = ("5.1.1", "6.1.1", "6.1.2", "7.1.2", "7.2.1")  # text, function calls, errors
UNIMPLEMENTED = ("7.1.1", "7.2.2")  # they need an event no correct client sends
CAPABILITIES = ["audio", "methods", "telephony", "text", "tools", "truncation"]
DIALECTS = ("ga", "beta")
PATTERNS = ("5.1.1", "6.1.*", "7.1.*", "7.2.*")


def cache_root() -> Path:
    default = Path.home() / ".cache" / "realtime-conformance" / "node"
    return Path(os.environ.get("REALTIME_CONFORMANCE_NODE_CACHE", default))


def lock_key() -> str:
    digest = hashlib.sha256()
    for name in MANIFESTS:
        digest.update((PACKAGE / name).read_bytes())
    return digest.hexdigest()[:16]


def tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def skip(reason: str) -> NoReturn:
    print(f"test_node_shim skipped: {reason}", file=sys.stderr)
    pytest.skip(reason)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """One installer at a time (pytest-xdist workers share the cache)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def registry_problem(npm: str) -> str | None:
    """Why the registry cannot be reached, or None (one try: npm retries for a minute)."""
    command = [npm, "ping", "--fetch-retries=0", f"--fetch-timeout={PING_S * 1000:.0f}"]
    try:
        ping = subprocess.run(
            command, capture_output=True, text=True, timeout=PING_S + 15, check=False
        )
    except subprocess.TimeoutExpired:
        return f"no answer within {PING_S + 15:g} s"
    if ping.returncode == 0:
        return None
    telling = [line for line in ping.stderr.splitlines() if "code" in line or "Error:" in line]
    return "; ".join(telling[:2]) or tail(ping.stderr, 3)


def npm_ci(npm: str, target: Path) -> None:
    """`npm ci` of the pinned lock into a fresh directory renamed to `target` when complete:
    skipped when the registry cannot be reached, failed when it can and the install fails."""
    if (problem := registry_problem(npm)) is not None:
        skip(f"the npm registry cannot be reached (npm ping): {problem}")
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for name in MANIFESTS:
        shutil.copy2(PACKAGE / name, partial / name)
    command = [npm, "ci", "--no-audit", "--no-fund", "--prefix", str(partial)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=INSTALL_S, check=False)
    if done.returncode != 0:
        pytest.fail(f"npm ci failed with the registry reachable:\n{tail(done.stderr)}")
    partial.rename(target)


@pytest.fixture(scope="module")
def shim_argv() -> Iterator[list[str]]:
    """`node <cache>/shim.mjs`: the shim beside its installed dependencies."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        skip("node and npm are needed (not on PATH)")
    key = lock_key()
    target = cache_root() / key
    with locked(cache_root() / f"{key}.lock"):
        if not (target / "node_modules" / "openai" / "package.json").is_file():
            npm_ci(npm, target)
        scripts = target / f"run-{os.getpid()}"  # this worker's own copy, beside node_modules
        shutil.rmtree(scripts, ignore_errors=True)
        shutil.copytree(PACKAGE, scripts, ignore=shutil.ignore_patterns("node_modules"))
    try:
        yield [node, str(scripts / "shim.mjs")]
    finally:
        shutil.rmtree(scripts, ignore_errors=True)


def run_cases(command: str, output: Path) -> dict[str, Any]:
    arguments = ["--client-cmd", command, "--dialect", "both", "--output", str(output)]
    arguments += ["--concurrency", str(AT_ONCE)]
    for pattern in PATTERNS:
        arguments += ["--case", pattern]
    done = subprocess.run(
        [sys.executable, "-m", "realtime_conformance.conformance.cli", "run", *arguments],
        capture_output=True,
        text=True,
        timeout=RUN_S,
        check=False,
    )
    results = output / "results.json"
    assert results.is_file(), f"no results.json:\n{tail(done.stdout)}\n{tail(done.stderr)}"
    loaded: dict[str, Any] = json.loads(results.read_text())
    return loaded


def test_the_shim_passes_the_text_tool_and_error_cases_in_both_dialects(
    shim_argv: list[str], tmp_path: Path
) -> None:
    results = run_cases(shlex.join(shim_argv), tmp_path)
    verdicts = {case["node_id"]: case for case in results["cases"]}
    expected = {f"{case}[{dialect}]": "PASS" for case in PASSING for dialect in DIALECTS}
    expected |= {f"{case}[{d}]": "UNIMPLEMENTED" for case in UNIMPLEMENTED for d in DIALECTS}
    got = {node_id: case["verdict"] for node_id, case in verdicts.items()}
    failures = {
        node_id: case["failures"] for node_id, case in verdicts.items() if case["verdict"] == "FAIL"
    }
    assert got == expected, failures
    assert sorted(results["run"]["capabilities"]) == CAPABILITIES
    assert "openai-node" in results["run"]["client"]


def test_the_shim_refuses_what_it_cannot_do_and_exits_on_close(shim_argv: list[str]) -> None:
    lines = [
        "not json",
        json.dumps({"id": 1, "method": "dance", "params": {}}),
        json.dumps({"id": 2, "method": "send_text", "params": {"text": "before start"}}),
        json.dumps({"id": 3, "method": "call_method", "params": {"name": "x", "args": {}}}),
        json.dumps({"id": 4, "method": "close", "params": {}}),
    ]
    done = subprocess.run(
        shim_argv,
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert out[0] == {"driver": "openai-node", "capabilities": CAPABILITIES}
    assert [(reply["id"], reply["ok"]) for reply in out[1:]] == [
        (None, False),
        (1, False),
        (2, False),
        (3, False),
        (4, True),
    ]
    assert "bad command line" in out[1]["error"]
    assert 'unknown method "dance"' in out[2]["error"]
    assert "not open" in out[3]["error"]
    assert 'no event method "x"' in out[4]["error"]
    assert done.returncode == 0
