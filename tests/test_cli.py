"""`realtime-conformance validate`: exit status, line numbers, formats."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sysconfig
from pathlib import Path

from realtime_conformance.conformance.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, main
from realtime_conformance.fixtures import EXAMPLE_TRANSCRIPT

GOOD_DELTA = {
    "type": "response.output_text.delta",
    "event_id": "event_1",
    "response_id": "resp_1",
    "item_id": "item_1",
    "output_index": 0,
    "content_index": 0,
    "delta": "Hi",
}


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def write_lines(path: Path, *records: object) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def test_without_arguments_the_bundled_example_is_checked_and_valid() -> None:
    status, out, err = run("validate")
    assert status == EXIT_OK, out
    assert EXAMPLE_TRANSCRIPT.name in err
    assert out.strip().endswith(": OK")


def test_invalid_event_is_reported_with_its_line_number(tmp_path: Path) -> None:
    bad = GOOD_DELTA | {"delta": 42}
    trace = write_lines(tmp_path / "t.jsonl", GOOD_DELTA, {"dir": "server", "event": bad})
    status, out, _ = run("validate", str(trace))
    assert status == EXIT_INVALID
    assert f"{trace}:line 2: response.output_text.delta (GA server event): at $.delta" in out


def test_lines_that_are_not_json_are_reported(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    trace.write_text(json.dumps(GOOD_DELTA) + "\n{oops\n", encoding="utf-8")
    status, out, _ = run("validate", str(trace))
    assert (
        status == EXIT_INVALID
        and "line 2: transcript line: at $: expected one JSON object; got not JSON" in out
    )


def test_meta_and_partial_lines_are_counted_apart(tmp_path: Path) -> None:
    trace = write_lines(
        tmp_path / "t.jsonl",
        {"dir": "meta", "meta": {"kind": "handshake", "http_status": 101}},
        {"dir": "server", "event": {"type": "session.created"}, "fidelity": "partial"},
        {"dir": "server", "event": GOOD_DELTA},
    )
    status, out, _ = run("validate", str(trace))
    assert status == EXIT_OK
    assert "1 events checked (realtime GA), 2 lines skipped" in out


def test_client_event_recorded_as_server_event_is_flagged(tmp_path: Path) -> None:
    trace = write_lines(
        tmp_path / "t.jsonl", {"dir": "server", "event": {"type": "response.create"}}
    )
    status, out, _ = run("validate", str(trace))
    assert status == EXIT_INVALID and "recorded as sent by the server" in out


def test_json_format(tmp_path: Path) -> None:
    trace = write_lines(tmp_path / "t.jsonl", GOOD_DELTA | {"output_index": "zero"})
    status, out, _ = run("validate", "--format", "json", str(trace))
    document = json.loads(out)
    [report] = document["transcripts"]
    assert document["totals"]["problems"] == 1 and document["harness_version"]
    assert status == EXIT_INVALID and report["ok"] is False
    assert report["problems"][0] | {"event": None} == {
        "line": 1,
        "event": None,
        "path": "$.output_index",
        "kind": "type",
        "expected": "integer",
        "actual": 'string "zero"',
    }


def test_dialect_can_be_forced(tmp_path: Path) -> None:
    trace = write_lines(tmp_path / "t.jsonl", GOOD_DELTA)
    status, out, _ = run("validate", "--dialect", "beta", str(trace))
    assert status == EXIT_INVALID and "exists in the GA dialect only" in out


def test_unreadable_file_is_a_usage_error(tmp_path: Path) -> None:
    status, _, err = run("validate", str(tmp_path / "missing.jsonl"))
    assert status == EXIT_USAGE and "cannot read" in err


def test_console_script_is_installed() -> None:
    # Where this interpreter's installer puts console scripts (not $PATH, which may not list it).
    executable = shutil.which("realtime-conformance", path=sysconfig.get_path("scripts"))
    assert executable is not None, "the console script is missing: pip install -e ."
    result = subprocess.run([executable, "validate"], capture_output=True, text=True, check=False)
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
