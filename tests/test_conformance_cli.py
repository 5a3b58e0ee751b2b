"""`realtime-conformance run` as a user runs it: a subprocess, its exit status and its files."""

from __future__ import annotations

import io
import json
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from realtime_conformance.conformance.cli import main
from realtime_conformance.schemas import SCHEMA_ROOT

REPO = Path(__file__).resolve().parent.parent
COMMAND = str(Path(sys.executable).parent / "realtime-conformance")
TIMEOUT_S = 120


def run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [COMMAND, "run", *args]
    return subprocess.run(
        command, check=False, cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT_S
    )


def valid_results(path: Path) -> dict[str, Any]:
    results = json.loads(path.read_text(encoding="utf-8"))
    schema = json.loads((SCHEMA_ROOT / "results.schema.json").read_text(encoding="utf-8"))
    checker = jsonschema.FormatChecker()
    jsonschema.Draft202012Validator(schema, format_checker=checker).validate(results)
    return results  # type: ignore[no-any-return]


def test_a_run_writes_results_junit_and_recordings_and_exits_0(tmp_path: Path) -> None:
    out = tmp_path / "run"
    client = "tests.support.fake_driver:correct"
    done = run("--client", client, "--case", "5.1.1", "--case", "3.4.1", "--output", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"results: {out / 'results.json'}" in done.stdout
    assert "[4/4]" in done.stdout  # plain progress lines when not on a terminal
    results = valid_results(out / "results.json")
    verdicts = {case["node_id"]: case["verdict"] for case in results["cases"]}
    assert verdicts == {
        "5.1.1[ga]": "PASS",
        "5.1.1[beta]": "PASS",
        "3.4.1[ga]": "UNIMPLEMENTED",
        "3.4.1[beta]": "UNIMPLEMENTED",
    }
    assert results["passed"] is True
    suite = ET.parse(out / "junit.xml").getroot().find("testsuite")
    assert suite is not None and (suite.get("tests"), suite.get("skipped")) == ("4", "2")
    assert (out / "recordings" / "5.1.1-beta.jsonl").read_text().count('"wire":"driver"') >= 3


def test_a_must_failure_exits_1_and_names_the_requirement(tmp_path: Path) -> None:
    out = tmp_path / "run"
    client = "tests.support.fake_driver:crashes_on_send"
    done = run("--client", client, "--case", "5.1.1", "--dialect", "ga", "--output", str(out))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL            5.1.1[ga]    [harness.step]" in done.stdout
    results = valid_results(out / "results.json")
    (case,) = results["cases"]
    seed = results["run"]["seed"]
    line = f"pytest conformance --case 5.1.1 --dialect ga --client {client} --seed {seed} -n0 -vv"
    assert case["reproduce"] == line
    assert f"Reproduce: {line}" in case["failures"][0]["text"]
    junit = ET.parse(out / "junit.xml").getroot()
    assert junit.find("testsuite/testcase/failure") is not None
    again = replay(line, tmp_path / "again")
    assert again.returncode == 1, again.stdout + again.stderr  # the same failure, alone
    (case_again,) = valid_results(tmp_path / "again" / "results.json")["cases"]
    assert case_again["node_id"] == "5.1.1[ga]" and case_again["reproduce"] == line
    assert [(f["check"], f["actual"]) for f in case_again["failures"]] == [
        (f["check"], f["actual"]) for f in case["failures"]
    ]


def replay(line: str, output: Path) -> subprocess.CompletedProcess[str]:
    """Run a reproduce line as a user pastes it (this interpreter's pytest), results in `output`."""
    words = shlex.split(line)
    assert words[:2] == ["pytest", "conformance"]
    command = [sys.executable, "-m", *words, "-p", "no:cacheprovider", "--output", str(output)]
    return subprocess.run(
        command, check=False, cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT_S
    )


def test_usage_errors_exit_2_with_one_line_and_no_traceback() -> None:
    expected = {
        "--client": "realtime-conformance run: --client 'no_such_module:make': cannot import",
        "--case": "realtime-conformance run: --case '9.9.9' matches no case",
    }
    for option, value in (("--client", "no_such_module:make"), ("--case", "9.9.9")):
        out, err = io.StringIO(), io.StringIO()
        assert main(["run", option, value], out, err) == 2
        (line,) = err.getvalue().splitlines()  # one line: no traceback
        assert line.startswith(expected[option]), line
    with pytest.raises(SystemExit) as exited:  # argparse's own: usage line, then the error
        main(["run", "--dialect", "x"], io.StringIO(), io.StringIO())
    assert exited.value.code == 2
