"""Connector options without running anything: the capabilities file, which cases a connector
can take part in (and why not), and the command line's usage errors (one line, exit 2)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from realtime_conformance.conformance.cases import load_cases
from realtime_conformance.conformance.cli import main
from realtime_conformance.conformance.drivers.capabilities import (
    CapabilitiesError,
    Profile,
    load_profile,
    profile_of,
)
from realtime_conformance.conformance.drivers.connector import (
    ConnectorSpec,
    connector_spec,
    refusal,
)

SERVICE = "python -m tests.support.connector_service"
REPO = Path(__file__).resolve().parent.parent
CALL_PROFILE = Profile("bridge", frozenset({"audio", "telephony", "truncation"}), ("ga",))


def test_a_capabilities_file_in_yaml_or_json(tmp_path: Path) -> None:
    yaml_file = tmp_path / "caps.yaml"
    yaml_file.write_text("name: acme\ncapabilities: [audio, telephony]\ndialects: [beta, ga]\n")
    json_file = tmp_path / "caps.json"
    json_file.write_text('["audio", "truncation"]')
    profile = load_profile(yaml_file)
    assert profile == Profile("acme", frozenset({"audio", "telephony"}), ("ga", "beta"))
    assert load_profile(json_file).capabilities == {"audio", "truncation"}
    assert load_profile(None) == Profile()  # audio and telephony, GA


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"capabilities": ["audio", "telefony"]}, "unknown capabilities ['telefony']"),
        ({"capabilities": "audio"}, "`capabilities` must be a list of names"),
        ({"name": "x"}, "`capabilities` is missing"),
        ({"capabilities": [], "dialects": ["v2"]}, "unknown dialects ['v2']"),
        ({"capabilities": [], "media_format": "opus"}, "media_format 'opus'"),
        ({"capabilities": [], "voice": "alloy"}, "unknown keys ['voice']"),
        ("audio", "expected a mapping"),
    ],
)
def test_a_wrong_capabilities_document_says_what_is_wrong(document: object, message: str) -> None:
    with pytest.raises(CapabilitiesError, match=message.replace("[", r"\[").replace("]", r"\]")):
        profile_of(document)


def _reason(case_id: str, dialect: str = "ga", profile: Profile = CALL_PROFILE) -> str | None:
    case = next(case for case in load_cases() if case.id == case_id)
    return refusal(ConnectorSpec(profile, command=SERVICE), case, dialect)


def test_a_connector_takes_part_only_in_cases_a_call_drives() -> None:
    assert _reason("5.4.3") is None  # barge-in on a call: the caller's voice is the stimulus
    assert _reason("3.4.2") is None
    text = _reason("5.1.1")
    assert text is not None and text.startswith("its stimulus needs a driven client (send_text)")
    method = _reason("5.4.1")  # the greeting is the application's response.create
    assert method is not None and "driven client (call_method)" in method
    tools = _reason("6.1.2")
    assert tools is not None and "set_tool_outputs" in tools
    handshake = _reason("1.1.1")
    assert handshake == "its stimulus is not a call (a connector takes part only through a call)"


def test_dialects_media_format_and_the_session_a_case_asks_for_are_declared() -> None:
    assert _reason("5.4.3", "beta") == "the connector speaks only ga (its capabilities file)"
    transcription = _reason("3.2.1")
    assert transcription is not None and transcription.startswith(
        "the connector lacks: transcription"
    )
    declared = Profile("b", CALL_PROFILE.capabilities | {"transcription"}, ("ga", "beta"))
    assert _reason("3.2.1", "beta", declared) is None
    pcm16 = Profile("b", CALL_PROFILE.capabilities, ("ga",), media_format="pcm16")
    assert _reason("5.4.3", profile=pcm16) == "its call streams twilio; the connector takes pcm16"


def test_cases_run_one_at_a_time_only_when_they_must() -> None:
    free = connector_spec(SERVICE, None, None, None)
    fixed = connector_spec(SERVICE, None, "ws://127.0.0.1:8080/media-stream", None)
    running = connector_spec(None, "ws://127.0.0.1:8080/media-stream", None, None, mock_port=9)
    assert free is not None and not free.serial
    assert fixed is not None and fixed.serial
    assert running is not None and running.serial
    assert connector_spec(None, None, None, None) is None


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["run", *argv], out, err)
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--client", "a.b:c", "--connector-cmd", SERVICE], "--client and --connector-cmd"),
        (["--client-cmd", "x", "--connector-cmd", SERVICE], "--client-cmd and --connector-cmd"),
        (["--connector-cmd", SERVICE, "--connector-url", "ws://h:1/m"], "give one connector"),
        (["--connector-cmd", SERVICE, "--capabilities", "/nonexistent/caps.yaml"],
         "--capabilities /nonexistent/caps.yaml: cannot read it"),
        (["--capabilities", "caps.yaml"], "go with --connector-cmd or --connector-url"),
        (["--connector-url", "ws://127.0.0.1:1/media-stream"], "needs --mock-port"),
        (["--connector-cmd", SERVICE, "--media-url", "http://h:1/m"], "expected a ws://"),
    ],
)  # fmt: skip
def test_usage_errors_are_one_line_and_status_2(argv: list[str], message: str) -> None:
    status, out, err = _run(*argv, "--list")
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_a_capabilities_file_that_is_not_yaml_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "caps.yaml"
    bad.write_text("capabilities: [audio, telephony\n")
    status, _, err = _run("--connector-cmd", SERVICE, "--capabilities", str(bad), "--list")
    assert (
        status == 2
        and err == f"realtime-conformance run: --capabilities {bad}: not YAML or JSON at line 2\n"
    )


def test_list_shows_what_a_connector_cannot_take_part_in(tmp_path: Path) -> None:
    caps = tmp_path / "caps.yaml"
    caps.write_text("capabilities: [audio, telephony, truncation]\n")
    argv = ["--connector-cmd", SERVICE, "--capabilities", str(caps), "--list"]
    status, out, _ = _run(*argv, "--case", "5.1.1", "--case", "5.4.3", "--dialect", "ga")
    lines = dict(line.split(maxsplit=1) for line in out.splitlines())
    assert status == 0
    assert "UNIMPLEMENTED: its stimulus needs a driven client (send_text)" in lines["5.1.1[ga]"]
    assert "UNIMPLEMENTED" not in lines["5.4.3[ga]"]


def _pytest_conformance(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "conformance", "-p", "no:cacheprovider", "-n", "0"]
    command += ["--output", str(out), "-rs", *args]
    return subprocess.run(
        command, check=False, cwd=REPO, capture_output=True, text=True, timeout=120
    )


def test_the_plugin_takes_the_same_connector_options(tmp_path: Path) -> None:
    """A text case is skipped as UNIMPLEMENTED with the reason (no service is started for it);
    two clients under test are pytest's usage error."""
    caps = tmp_path / "caps.yaml"
    caps.write_text("capabilities: [audio, telephony, truncation]\n")
    connector = ["--connector-cmd", SERVICE, "--capabilities", str(caps)]
    ran = _pytest_conformance(tmp_path / "out", *connector, "--case", "5.1.1", "--dialect", "ga")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "UNIMPLEMENTED: its stimulus needs a driven client (send_text)" in ran.stdout
    both = _pytest_conformance(tmp_path / "both", *connector, "--client", "a.b:c")
    assert both.returncode == 4  # pytest's usage error
    assert "--client and --connector-cmd: give one client under test, not both" in both.stderr
    one_port = _pytest_conformance(tmp_path / "port", "--mock-port", "8123", "-n", "2")
    assert one_port.returncode == 4  # every worker would bind the one port
    assert "--mock-port 8123 with -n 2: every worker would start its mock" in one_port.stderr
    assert "Traceback" not in one_port.stderr
    fixed = ["--media-url", "ws://127.0.0.1:8765/media-stream"]
    one_service_port = _pytest_conformance(tmp_path / "fixed", *connector, *fixed, "-n", "2")
    assert one_service_port.returncode == 4
    assert "with -n 2: one connector port (or one running service)" in one_service_port.stderr
