"""What `serve` checks before it starts, and how it words a mistake: one line on stderr, exit
status 2, naming the flag or file and what to do (issue 14). The argument types here are shared
with `realtime-conformance run` and `record`."""

from __future__ import annotations

import argparse
import errno
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from realtime_conformance.mockserver.options import ServerOptions

MAX_PORT = 65535
EXIT_USAGE = 2


class UsageParser(argparse.ArgumentParser):
    """An argument parser whose mistakes are one line on stderr (exit status 2), naming what
    is wrong and pointing at --help, instead of the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def port_number(text: str) -> int:
    """A TCP port, 0 to 65535 (argparse type)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, not {text!r}") from None
    if not 0 <= port <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"{port} is no port: give 0 to {MAX_PORT} (0: any free)")
    return port


def non_negative(kind: Callable[[str], float]) -> Callable[[str], Any]:
    """An argparse type: a number of `kind` that is 0 or more."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__}, not {text!r}") from None
        if not value >= 0:  # also NaN
            raise argparse.ArgumentTypeError(f"{text} is negative: give 0 or more")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


class UsageError(Exception):
    """A mistake in the command line or its files: one message, exit status 2."""


def chosen_scenario(given: str | None) -> tuple[str | None, tuple[Path, ...]]:
    """`--scenario`: an id, or a scenario file (its id, and the file to add to the library)."""
    if given is None or not given.endswith((".yaml", ".yml")):
        return given, ()
    from realtime_conformance.rtproto.scenario import ScenarioError, load_scenario  # noqa: PLC0415 (lazy: --help)

    path = Path(given)
    try:
        return load_scenario(path).id, (path,)
    except OSError as error:
        raise UsageError(f"cannot read scenario file {given}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"scenario file {given} is not UTF-8 text") from None
    except ScenarioError as error:
        raise UsageError(f"scenario file {given} has problems:\n{error}") from None


def check_record_dir(path: Path | None) -> None:
    """`--record DIR`: a directory we can write (made when missing), or a UsageError."""
    if path is None:
        return
    if path.exists() and not path.is_dir():
        raise UsageError(f"--record {path} is a file: give a directory (made when missing)")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(
            f"--record {path}: cannot make the directory ({error.strerror}): give a writable one"
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"--record {path} is not writable: give a directory you can write")


def check_scenarios(options: ServerOptions) -> None:
    """The user's scenarios load, and the chosen one exists (else a UsageError that says so)."""
    from realtime_conformance.mockserver.scenarios import ScenarioLibrary  # noqa: PLC0415 (lazy: --help)
    from realtime_conformance.rtproto.scenario import ScenarioError  # noqa: PLC0415

    for path in options.extra_scenarios:
        if not path.exists():
            raise UsageError(f"--scenarios {path}: no such directory")
    library = ScenarioLibrary(options.scenarios_dir, options.extra_scenarios)
    try:
        refusal = library.unknown(options.scenario) if options.scenario else None
    except ScenarioError as error:
        raise UsageError(f"your scenarios have problems:\n{error}") from None
    if refusal is not None:
        raise UsageError(refusal.message)


def start_failure(options: ServerOptions, error: OSError) -> str:
    """Why the server could not listen, and what to do about it."""
    where = f"{options.host}:{options.port}"
    if error.errno == errno.EADDRINUSE:
        return f"port {options.port} is in use on {options.host}: choose another --port (0: any)"
    if error.errno == errno.EACCES:
        return f"not allowed to listen on {where}: choose a port above 1023 (0: any free port)"
    if isinstance(error, socket.gaierror) or error.errno == errno.EADDRNOTAVAIL:
        return (
            f"cannot listen on {options.host}: not an address of this machine; "
            "give a local one such as 127.0.0.1 (0.0.0.0: every interface)"
        )
    return f"cannot listen on {where}: {error.strerror or error}"
