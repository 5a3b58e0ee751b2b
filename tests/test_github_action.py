"""The reusable GitHub Action (action.yml) and the repository's CI workflow, checked without
GitHub: against GitHub's published schemas (check-jsonschema), their structure (inputs
referenced exist, steps well formed, outputs written), and the suite step's script run by bash
with a stand-in `realtime-conformance` that records its arguments, which the real CLI's parser
must accept."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from realtime_conformance.conformance.cli import build_parser

REPO = Path(__file__).resolve().parent.parent
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
STAND_IN = """#!/usr/bin/env bash
printf '%s\\n' "$@" > "$ARGV_FILE"
exit "${STAND_IN_STATUS:-0}"
"""


def load(relative: str) -> dict[Any, Any]:
    document = yaml.safe_load((REPO / relative).read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def action() -> dict[Any, Any]:
    return load("action.yml")


def steps() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = action()["runs"]["steps"]
    return found


def suite_step() -> dict[str, Any]:
    return next(step for step in steps() if step.get("id") == "suite")


def test_the_action_is_a_composite_of_well_formed_steps() -> None:
    document = action()
    assert document["runs"]["using"] == "composite"
    assert all(spec.get("description") for spec in document["inputs"].values())
    for step in steps():
        assert ("uses" in step) != ("run" in step), step.get("name")
        if "run" in step:
            assert step["shell"] == "bash", step["name"]  # composite run steps must name one
    ids = [step["id"] for step in steps() if "id" in step]
    assert len(ids) == len(set(ids))
    used = [step["uses"].split("@")[0] for step in steps() if "uses" in step]
    assert used[:2] == ["actions/setup-python", "actions/upload-artifact"]


def test_every_expression_names_an_input_or_a_step_output_that_exists() -> None:
    text = (REPO / "action.yml").read_text(encoding="utf-8")
    inputs = set(action()["inputs"])
    scripts = {step["id"]: step["run"] for step in steps() if "id" in step and "run" in step}
    for expression in EXPRESSION.findall(text):
        for name in re.findall(r"inputs\.([\w-]+)", expression):
            assert name in inputs, expression
        for step_id, output in re.findall(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression):
            assert f'echo "{output}=' in scripts[step_id], expression


def test_no_input_is_pasted_into_a_script() -> None:
    """Inputs reach bash as environment variables: an input holding `"; rm -rf ~` stays data."""
    for step in steps():
        assert "${{" not in step.get("run", ""), step["name"]


def test_the_action_installs_itself_and_uploads_the_reports_whatever_the_outcome() -> None:
    install = next(step for step in steps() if "pip install" in step.get("run", ""))
    assert '"$GITHUB_ACTION_PATH"' in install["run"]
    upload = next(step for step in steps() if step.get("uses", "").startswith("actions/upload"))
    assert upload["if"] == "always()" and upload["with"]["path"] == "${{ inputs.output }}"
    junit = next(step for step in steps() if "junit" in step.get("uses", ""))
    assert "inputs.publish-junit == 'true'" in junit["if"]
    assert junit["with"]["report_paths"] == "${{ inputs.output }}/junit.xml"


def run_suite_step(
    tmp_path: Path, status: int = 0, *, real_cli: bool = False, **given: str
) -> tuple[subprocess.CompletedProcess[str], list[str], dict[str, str]]:
    """Run the suite step as the runner would (`bash --noprofile --norc -eo pipefail`), its
    env built from the inputs' defaults and `given`, with the stand-in CLI (exiting `status`)
    first on PATH unless `real_cli`; return the stand-in's argv and the step's outputs."""
    inputs = {name: str(spec.get("default", "")) for name, spec in action()["inputs"].items()}
    inputs.update({name.replace("_", "-"): value for name, value in given.items()})
    env = {
        name: EXPRESSION.sub(lambda m: inputs[m.group(1).removeprefix("inputs.")], value)
        for name, value in suite_step()["env"].items()
    }
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stand_in = bin_dir / "realtime-conformance"
    stand_in.write_text(STAND_IN, encoding="utf-8")
    stand_in.chmod(stand_in.stat().st_mode | stat.S_IEXEC)
    script = tmp_path / "suite.sh"
    script.write_text(suite_step()["run"], encoding="utf-8")
    (tmp_path / "5.1.1-glob-bait").touch()  # a pattern such as 5.* must not expand to it
    outputs, argv = tmp_path / "outputs", tmp_path / "argv"
    installed = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"  # the venv's
    env |= {"PATH": installed if real_cli else f"{bin_dir}{os.pathsep}{installed}"}
    env |= {"GITHUB_OUTPUT": str(outputs), "HOME": str(tmp_path)}
    env |= {"ARGV_FILE": str(argv), "STAND_IN_STATUS": str(status)}
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    lines = outputs.read_text().splitlines() if outputs.exists() else []
    written = dict(line.split("=", 1) for line in lines)
    return done, argv.read_text().splitlines() if argv.exists() else [], written


def test_the_defaults_run_every_case_against_the_reference_client(tmp_path: Path) -> None:
    done, argv, outputs = run_suite_step(tmp_path)
    assert done.returncode == 0, done.stderr
    assert argv == ["run", "--output", "conformance-report", "--dialect", "both"]
    assert outputs == {"results": "conformance-report/results.json", "exit-code": "0"}
    build_parser().parse_args(argv)


def test_every_input_becomes_its_cli_option(tmp_path: Path) -> None:
    capabilities = tmp_path / "capabilities.yaml"
    capabilities.write_text("capabilities: [text]\n", encoding="utf-8")
    done, argv, outputs = run_suite_step(
        tmp_path, status=1, client_cmd="node shim.mjs --flag 'a b'", cases=" 5.*  1.1.1 ",
        strict="true", dialect="ga", connector_cmd="python bridge.py", seed="42",
        capabilities=str(capabilities), deviations="known.yaml", output="out dir",
    )  # fmt: skip
    assert done.returncode == 1  # the suite's status is the step's: a MUST failure fails the job
    assert argv == [
        "run", "--output", "out dir", "--dialect", "ga",
        "--client-cmd", "node shim.mjs --flag 'a b'", "--connector-cmd", "python bridge.py",
        "--capabilities", str(capabilities), "--deviations", "known.yaml", "--seed", "42",
        "--case", "5.*", "--case", "1.1.1", "--strict",
    ]  # fmt: skip
    assert outputs == {"results": "out dir/results.json", "exit-code": "1"}
    parsed = build_parser().parse_args(argv)  # the CLI knows every option the action passes
    assert (parsed.case, parsed.strict, parsed.seed) == (["5.*", "1.1.1"], True, 42)


def test_the_step_runs_the_real_suite_and_leaves_the_reports_to_upload(tmp_path: Path) -> None:
    """The installed CLI (as the install step leaves it), one quick case of the reference client."""
    done, _, outputs = run_suite_step(tmp_path, real_cli=True, cases="1.1.1", dialect="ga")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert outputs == {"results": "conformance-report/results.json", "exit-code": "0"}
    results = json.loads((tmp_path / outputs["results"]).read_text(encoding="utf-8"))
    assert [(c["node_id"], c["verdict"]) for c in results["cases"]] == [("1.1.1[ga]", "PASS")]
    assert (tmp_path / "conformance-report" / "junit.xml").is_file()


def test_a_strict_input_that_is_not_a_boolean_is_refused(tmp_path: Path) -> None:
    done, argv, _ = run_suite_step(tmp_path, strict="yes")
    assert done.returncode == 2 and argv == []
    assert "::error::strict must be true or false, not 'yes'" in done.stdout


# --- the repository's CI workflow ------------------------------------------------------------


def workflow() -> dict[Any, Any]:
    return load(".github/workflows/ci.yml")


def test_ci_runs_the_ci_script_on_pushes_and_pull_requests() -> None:
    document = workflow()
    triggers = document["on" if "on" in document else True]  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request"} <= set(triggers)
    runs = [step.get("run") for job in document["jobs"].values() for step in job["steps"]]
    assert ".ci/run" in runs
    assert os.access(REPO / ".ci" / "run", os.X_OK)


def test_ci_uses_the_action_with_inputs_it_declares() -> None:
    inputs = set(action()["inputs"])
    uses = [
        step
        for job in workflow()["jobs"].values()
        for step in job["steps"]
        if step.get("uses") == "./"
    ]
    assert uses, "the action is exercised by CI"
    for step in uses:
        assert set(step.get("with", {})) <= inputs


def test_third_party_actions_are_pinned_to_a_major_version() -> None:
    listed = steps() + [step for job in workflow()["jobs"].values() for step in job["steps"]]
    for reference in (step["uses"] for step in listed if step.get("uses", "./") != "./"):
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", reference), reference


# --- against the published schemas (SchemaStore's, vendored by check-jsonschema) ----------------


def check_schema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_the_action_and_the_workflow_match_githubs_published_schemas() -> None:
    action_check = check_schema("vendor.github-actions", REPO / "action.yml")
    workflow_check = check_schema("vendor.github-workflows", REPO / ".github/workflows/ci.yml")
    assert action_check.returncode == 0, action_check.stdout + action_check.stderr
    assert workflow_check.returncode == 0, workflow_check.stdout + workflow_check.stderr


def test_the_schema_check_catches_a_run_step_without_a_shell(tmp_path: Path) -> None:
    broken = action()
    next(step for step in broken["runs"]["steps"] if "run" in step).pop("shell")
    (tmp_path / "action.yml").write_text(yaml.safe_dump(broken), encoding="utf-8")
    assert check_schema("vendor.github-actions", tmp_path / "action.yml").returncode == 1
