"""The AsyncAPI parser is loaded only when the catalogue is first read, and never sees argv.

asyncapi-python's parser package imports its code generator (datamodel-code-generator, black,
typer) from its `__init__`, and typer answers a `--help` it finds in `sys.argv`; the catalogue
imports the parser without that `__init__` (rtproto.catalogue.asyncapi_parser). Each test runs a
fresh interpreter, since this process has long imported everything.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

HEAVY_MODULES = ("black", "typer", "datamodel_code_generator", "asyncapi_python_codegen")
LIGHT_MODULES = (
    "realtime_conformance.rtproto.transcript",
    "realtime_conformance.rtproto.handshake",
    "realtime_conformance.rtproto.dialects",
    "realtime_conformance.rtproto.events",
    "realtime_conformance.rtproto.audio",
    "realtime_conformance.rtproto.ids",
    "realtime_conformance.rtproto.catalogue",
    "realtime_conformance.rtproto.wire",
    "realtime_conformance.conformance.cli",
)


def run_python(code: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, check=False, timeout=60
    )


@pytest.mark.parametrize("module", LIGHT_MODULES)
def test_light_modules_do_not_import_the_code_generator(module: str) -> None:
    code = (
        f"import sys, {module}\nprint(','.join(m for m in {HEAVY_MODULES!r} if m in sys.modules))\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_importing_with_help_in_argv_prints_nothing() -> None:
    result = run_python(
        "import realtime_conformance.rtproto.transcript, realtime_conformance.rtproto.handshake, "
        "realtime_conformance.rtproto.dialects",
        "--help",
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_reading_the_catalogue_keeps_argv_and_prints_nothing() -> None:
    code = (
        "import sys\n"
        "from realtime_conformance.rtproto.catalogue import load_catalogue\n"
        "assert load_catalogue().lookup('realtime', 'session.update', 'ga') is not None\n"
        "print(sys.argv[1:])\n"
    )
    result = run_python(code, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "['--help']\n"  # argv restored, and nothing printed by the parser


def test_reading_the_catalogue_imports_no_code_generator() -> None:
    """Only the parser: the `codegen` extra need not be installed (the wheel does not ask for
    it); and the real package still imports afterwards, for whoever wants the generator."""
    generator = ("black", "typer", "jinja2", "datamodel_code_generator", "click")
    code = (
        "import sys\n"
        "from realtime_conformance.rtproto.catalogue import load_catalogue\n"
        "assert load_catalogue().lookup('realtime', 'session.update', 'ga') is not None\n"
        f"print(sorted(m for m in {generator!r} if m in sys.modules))\n"
        "print('asyncapi_python_codegen' in sys.modules)\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["[]", "False"]  # the stand-in package is gone again


def test_the_real_parser_package_still_imports_after_the_catalogue() -> None:
    pytest.importorskip("typer")  # the `codegen` extra: installed in the dev environment only
    code = (
        "from realtime_conformance.rtproto.catalogue import load_catalogue\n"
        "load_catalogue()\n"
        "import asyncapi_python_codegen as package\n"
        "print(type(package.app).__name__, package.extract_all_operations.__name__)\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Typer extract_all_operations\n"


def test_cli_help_is_ours() -> None:
    result = run_python(
        "import sys; from realtime_conformance.conformance.cli import main; sys.exit(main())",
        "--help",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: realtime-conformance")
    assert "datamodel-codegen" not in result.stdout


def test_the_installed_console_script_prints_our_help() -> None:
    executable = shutil.which("realtime-conformance")
    if executable is None:
        pytest.skip("package not installed (pip install -e .)")
    result = subprocess.run(
        [executable, "--help"], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: realtime-conformance")


def test_cli_argument_errors_do_not_load_the_catalogue() -> None:
    code = (
        "import sys\n"
        "from realtime_conformance.conformance.cli import build_parser\n"
        "build_parser().parse_args(['validate', '--api', 'chat', 'x.jsonl'])\n"
        f"print(','.join(m for m in {HEAVY_MODULES!r} if m in sys.modules))\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
