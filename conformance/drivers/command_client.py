"""`--client-cmd "CMD ..."`: the command checked up front (a usage error is one line), probed
once for its name and capabilities, and a fresh CommandDriver per case.

The probe starts the command once with no case (none of the case variables set), reads its
first line and kills it. A command that cannot say hello (it crashes at start, hangs, writes
something else) is no usage error: it is the client under test failing, so every case runs
and FAILs with the reason; the probe lends it every capability so that none is UNIMPLEMENTED.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shlex
import shutil
from pathlib import Path

from realtime_conformance.conformance.drivers.base import CAPABILITIES, DriverError
from realtime_conformance.conformance.drivers.command import (
    FIRST_LINE_S,
    STEP_S,
    CommandDriver,
    Hello,
)
from realtime_conformance.conformance.drivers.environment import child_environment


def parse_command(text: str) -> tuple[str, ...]:
    """The command's argv (shell words, no shell); ValueError when it is empty, unbalanced or
    names a program that is not there."""
    try:
        argv = tuple(shlex.split(text))
    except ValueError as error:
        raise ValueError(f"--client-cmd {text!r}: {error}") from None
    if not argv:
        raise ValueError("--client-cmd: the command is empty")
    program = argv[0]
    if os.sep in program:
        path = Path(program)
        if not path.is_file() or not os.access(path, os.X_OK):
            raise ValueError(f"--client-cmd {text!r}: {program} is not an executable file")
    elif shutil.which(program) is None:
        raise ValueError(f"--client-cmd {text!r}: command not found: {program}")
    return argv


async def _probe(
    argv: tuple[str, ...], fallback: Hello, limit_s: float
) -> tuple[Hello, str | None]:
    driver = CommandDriver(argv, fallback, first_line_s=limit_s)
    try:
        return await driver.launch(child_environment(os.environ, {})), None
    except DriverError as error:
        return fallback, str(error)
    finally:
        if driver.child is not None:
            driver.child.close_stdin()
            await driver.child.kill()


def probe(argv: tuple[str, ...], limit_s: float = FIRST_LINE_S) -> tuple[Hello, str | None]:
    """The command's hello, or every capability and why there is no hello. In a thread of its
    own, so it works whether or not the caller runs an event loop."""
    fallback = Hello(Path(argv[0]).name, CAPABILITIES)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _probe(argv, fallback, limit_s)).result()


class CommandClient:
    """The driver factory of `--client-cmd`: one CommandDriver (one child) per case."""

    def __init__(
        self,
        text: str,
        step_s: float = STEP_S,
        first_line_s: float = FIRST_LINE_S,
        driver: type[CommandDriver] = CommandDriver,
    ) -> None:
        self.text, self.driver = text, driver
        self.step_s, self.first_line_s = step_s, first_line_s
        self.argv = parse_command(text)
        self.hello, self.probe_problem = probe(self.argv, first_line_s)

    def __call__(self) -> CommandDriver:
        return self.driver(self.argv, self.hello, self.step_s, self.first_line_s)
