"""Every user mistake is one clear line on stderr, exit status 2, no traceback (issue 14). The
mock server's (`serve`) and reading standard input run as a subprocess, as a user would meet
them; `validate`'s and `scenario lint`'s other outcomes call the same `main` in this process
(as tests/test_cli.py does), stderr taken from both its `err` and sys.stderr (argparse)."""

from __future__ import annotations

import contextlib
import io
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from realtime_conformance.conformance.cli import main
from realtime_conformance.fixtures import EXAMPLE_TRANSCRIPT

EXIT_INVALID, EXIT_USAGE = 1, 2
TIMEOUT_S = 60


def cli_process(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "realtime_conformance.conformance.cli", *args]
    return subprocess.run(
        command,
        input=stdin.decode("latin-1") if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`main` in this process, its outcome shaped as a subprocess's: an exception that would
    be a traceback raises here instead."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(list(args), out=out, err=err)
        except SystemExit as exiting:  # the argument parser's usage errors
            status = exiting.code if isinstance(exiting.code, int) else EXIT_USAGE
    return subprocess.CompletedProcess(list(args), status, out.getvalue(), err.getvalue())


def assert_one_line_usage_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    lines = result.stderr.splitlines()
    assert result.returncode == EXIT_USAGE, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield int(taken.getsockname()[1])


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--port", "99999"], ["--port", "99999", "65535"]),
        (["--port", "eighty"], ["--port", "eighty"]),
        (["--session-limit", "-5"], ["--session-limit", "-5", "0 or more"]),
        (["--ping-interval", "-1"], ["--ping-interval", "-1"]),
        (["--seed", "-3"], ["--seed"]),
        (["--host", "192.0.2.1"], ["192.0.2.1", "not an address of this machine"]),
        (["--scenario", "9.9.9.9"], ["Unknown scenario"]),
        (["--scenario", "missing.yaml"], ["missing.yaml"]),
        (["--scenarios", "no-such-dir"], ["no-such-dir"]),
        (["--no-such-flag"], ["--no-such-flag", "--help"]),
    ],
)
def test_serve_mistakes(flags: list[str], words: list[str]) -> None:
    assert_one_line_usage_error(cli_process("serve", *flags), *words)


def test_serve_on_a_port_in_use(busy_port: int) -> None:
    result = cli_process("serve", "--port", str(busy_port))
    assert_one_line_usage_error(result, f"port {busy_port} is in use", "--port")


def test_serve_record_on_a_file(tmp_path: Path) -> None:
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    assert_one_line_usage_error(cli_process("serve", "--record", str(a_file)), "is a file")


def test_serve_record_where_no_directory_can_be_made(tmp_path: Path) -> None:
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    result = cli_process("serve", "--record", str(a_file / "below"))
    assert_one_line_usage_error(result, "--record", "cannot make the directory")


def test_serve_with_a_broken_scenario_file_lists_its_problems(tmp_path: Path) -> None:
    broken = tmp_path / "mine.yaml"
    broken.write_text("id: 9.1.1\ntitle: t\nrequirement: r\nexpect:\n  - whenn: {}\n")
    result = cli_process("serve", "--scenario", str(broken))
    assert result.returncode == EXIT_USAGE and "Traceback" not in result.stderr
    assert f"{broken}:5:" in result.stderr


def test_validate_a_binary_file(tmp_path: Path) -> None:
    binary = tmp_path / "capture.pcap"
    binary.write_bytes(b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00")
    assert_one_line_usage_error(cli("validate", str(binary)), str(binary), "binary")


def test_validate_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    latin = tmp_path / "latin1.jsonl"
    latin.write_bytes(b'{"type": "caf\xe9"}\n')
    assert_one_line_usage_error(cli("validate", str(latin)), str(latin), "not UTF-8")


def test_validate_a_directory(tmp_path: Path) -> None:
    assert_one_line_usage_error(cli("validate", str(tmp_path)), "directory")


def test_a_missing_file_does_not_stop_the_others(tmp_path: Path) -> None:
    missing = tmp_path / "missing.jsonl"
    result = cli("validate", str(missing), str(EXAMPLE_TRANSCRIPT), "--format", "json")
    assert_one_line_usage_error(result, str(missing), "No such file")
    document = json.loads(result.stdout)
    [checked] = document["transcripts"]
    assert checked["source"] == str(EXAMPLE_TRANSCRIPT) and checked["ok"]
    assert document["totals"]["unreadable"] == 1 and document["totals"]["passed"] == 1


@pytest.mark.parametrize(
    "content",
    [
        "",
        '{"t_ms": 0, "dir": "meta", "meta": {"kind": "handshake", "path": "/v1/realtime"}}\n',
    ],
    ids=["empty", "only-meta"],
)
def test_nothing_checked_fails_unless_allowed(tmp_path: Path, content: str) -> None:
    trace = tmp_path / "t.jsonl"
    trace.write_text(content)
    result = cli("validate", str(trace))
    assert result.returncode == EXIT_INVALID and "nothing checked" in result.stdout
    assert len(result.stderr.splitlines()) == 1 and "--allow-empty" in result.stderr
    assert cli("validate", "--allow-empty", str(trace)).returncode == 0


def test_a_record_going_sideways_is_malformed(tmp_path: Path) -> None:
    event = {"type": "session.update", "session": {"type": "realtime"}}
    trace = tmp_path / "t.jsonl"
    trace.write_text(json.dumps({"t_ms": 0, "dir": "sideways", "event": event}) + "\n")
    result = cli("validate", str(trace))
    assert result.returncode == EXIT_INVALID and "sideways" in result.stdout


def test_validate_reads_standard_input() -> None:
    result = cli_process("validate", "-", stdin=EXAMPLE_TRANSCRIPT.read_bytes())
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("<stdin>: ") and ": OK" in result.stdout


def test_github_annotations_point_at_the_line(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    trace.write_text('{"type": "session.update", "session": 5}\n')
    result = cli("validate", "--format", "github", str(trace))
    assert result.returncode == EXIT_INVALID
    assert result.stdout.startswith(f"::error file={trace},line=1::")


def test_junit_has_one_case_per_transcript(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    result = cli("validate", "--format", "junit", str(EXAMPLE_TRANSCRIPT), str(empty))
    suite = ET.fromstring(result.stdout.split("\n", 1)[1])
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    assert [case.find("failure") is None for case in suite] == [True, False]


def test_a_responses_websocket_transcript_is_checked_as_responses(tmp_path: Path) -> None:
    handshake = {"kind": "handshake", "path": "/v1/responses", "request_headers": {}}
    event = {"type": "response.create", "model": "gpt-4.1", "input": "hi"}
    lines = [
        {"t_ms": 0, "dir": "meta", "meta": handshake},
        {"t_ms": 1, "dir": "client", "event": event},
    ]
    trace = tmp_path / "t.jsonl"
    trace.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = cli("validate", "--format", "json", str(trace))
    [report] = json.loads(result.stdout)["transcripts"]
    assert report["apis"] == ["responses"], report


def test_scenario_lint(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(
        "id: 9.1.1\ntitle: t\nrequirement: The client MUST x.\n"
        "dialects: [ga]\non_start: [session.created]\n"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: 9.1.2\ntitle: t\nrequirement: r\nexpect:\n  - when: {type: x}\n    tims: 1\n"
    )
    result = cli("scenario", "lint", str(good), str(bad))
    assert result.returncode == EXIT_INVALID, result.stdout + result.stderr
    assert f"{bad}:6:5: " in result.stdout and "did you mean 'times'" in result.stdout
    assert f"{good}: scenario 9.1.1" in result.stdout
    missing = cli("scenario", "lint", str(good), str(tmp_path / "gone.yaml"))
    assert_one_line_usage_error(missing, "gone.yaml")


def test_the_mocks_responses_socket_transcript_is_checked_as_responses(tmp_path: Path) -> None:
    """The mock records the Responses WebSocket mode's upgrade as an `http_request` line."""
    opening = {"kind": "http_request", "method": "GET", "path": "/v1/responses"}
    event = {"type": "response.create", "model": "gpt-4.1", "input": "hi"}
    lines = [
        {"t_ms": 0, "dir": "meta", "meta": opening},
        {"t_ms": 1, "dir": "client", "event": event},
    ]
    trace = tmp_path / "t.jsonl"
    trace.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = cli("validate", "--format", "json", str(trace))
    [report] = json.loads(result.stdout)["transcripts"]
    assert report["apis"] == ["responses"] and report["ok"], report
