"""A failure's reproduce line: the one command that runs that case again, alone, in the same
dialect, against the same client with the same options and the same seed.

Both front ends take the same options (`realtime-conformance run` and `pytest conformance`), so
the line is always a `pytest conformance` command: `-n0 -vv` shows the failure in full.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from realtime_conformance.conformance.connector_options import OPTIONS as CONNECTOR_OPTIONS

# The options that say which client ran and how (option dest -> flag); their defaults are left out.
CLIENT_FLAGS: tuple[tuple[str, str], ...] = (
    ("client", "--client"),
    ("client_cmd", "--client-cmd"),
    ("deviations", "--deviations"),
    *((dest, flag) for flag, dest, _ in CONNECTOR_OPTIONS),
)
DEFAULTS: Mapping[str, Any] = {
    dest: arguments.get("default") for _, dest, arguments in CONNECTOR_OPTIONS
}


def client_args(options: Mapping[str, Any], prefix: str = "") -> tuple[str, ...]:
    """The client's options of a run as command-line words, from its option values by dest
    (`run`'s argparse namespace; the plugin's, with `prefix="conformance_"`)."""
    words: list[str] = []
    for dest, flag in CLIENT_FLAGS:
        value = options.get(prefix + dest)
        if value is not None and value != DEFAULTS.get(dest):
            words += [flag, str(value)]
    return tuple(words)


def reproduce_line(
    case_id: str, dialect: str, strict: bool, args: Sequence[str], seed: int | None
) -> str:
    """The command that runs case `case_id` again as it ran."""
    words = ["pytest", "conformance", "--case", case_id, "--dialect", dialect]
    words += ["--strict"] if strict else []
    words += [*args, *(["--seed", str(seed)] if seed is not None else []), "-n0", "-vv"]
    return shlex.join(words)
