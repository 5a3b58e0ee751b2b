"""A reproduce line names the case, its dialect, every client option the run was given (not
the defaults) and the seed, and parses back, with the run's own parser, to those options."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from realtime_conformance.conformance.reproduce import client_args, reproduce_line
from realtime_conformance.conformance.run_options import add_run_arguments


def parsed(words: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_run_arguments(parser)
    return parser.parse_args(words)


def test_a_connector_runs_line_keeps_its_options_and_parses_back() -> None:
    given = [
        "--connector-cmd", "node bridge.js --port {port}",
        "--media-url", "ws://127.0.0.1:{port}/twilio",
        "--capabilities", "my caps.yaml",
        "--deviations", "known.yaml",
        "--case", "5.4.*", "--concurrency", "4",
    ]  # fmt: skip
    options = parsed(given)
    args = client_args(vars(options))
    line = reproduce_line("5.4.3", "beta", True, args, 1234)
    words = shlex.split(line)
    assert words[:2] == ["pytest", "conformance"] and words[-2:] == ["-n0", "-vv"]
    again = parsed(words[2:-2])
    assert again.case == ["5.4.3"] and again.dialect == "beta" and again.strict
    assert again.seed == 1234
    for name in ("connector_cmd", "media_url", "capabilities", "deviations"):
        assert getattr(again, name) == getattr(options, name), name
    assert again.capabilities == Path("my caps.yaml")
    assert options.concurrency == 4 and again.concurrency == 16  # not a client option


def test_defaults_are_left_out() -> None:
    assert client_args(vars(parsed([]))) == ()
    line = reproduce_line("5.1.1", "ga", False, (), None)
    assert line == "pytest conformance --case 5.1.1 --dialect ga -n0 -vv"


def test_the_plugins_prefixed_options_give_the_same_words() -> None:
    options = vars(parsed(["--client-cmd", "node shim.mjs", "--mock-port", "8123"]))
    prefixed = {f"conformance_{name}": value for name, value in options.items()}
    assert client_args(prefixed, "conformance_") == client_args(options)
    assert client_args(options) == ("--client-cmd", "node shim.mjs", "--mock-port", "8123")
