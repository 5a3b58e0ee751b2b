"""The code blocks of docs/*.md and how tests/test_docs.py runs them.

Conventions (docs/index.md states them for writers):

- ```console blocks: `$ COMMAND` lines (a trailing backslash continues one), each followed by
  the output it prints. Every shown output line must appear, in order, in what the command
  printed (stdout and stderr together); `...` inside a line matches anything, a line that is
  only `...` stands for lines left out.
- ```sh / ```bash blocks run whole, under `bash -e`; ```python blocks run as a script.
- An HTML comment right above a fence steers it: `<!-- not run: REASON -->` (only for what CI
  cannot do: installing from PyPI, docker); `<!-- file: NAME -->` writes the block to NAME
  instead of running it (a YAML scenario, a test file, a driver); `<!-- exit: N -->` is the
  exit status the block's last command must end with (default 0).

Blocks of one page run in order in one fresh directory, so a later block may use what an
earlier one wrote; commands find the venv's `python` and `realtime-conformance` first on PATH.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

RUNNABLE = {"console", "sh", "bash", "python"}
FENCE = re.compile(r"^```(\w*)\s*$")
DIRECTIVE = re.compile(r"^<!--\s*(not run|file|exit):\s*(.*?)\s*-->$")
COMMAND_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    directives: dict[str, str] = field(default_factory=dict)

    @property
    def skip_reason(self) -> str | None:
        return self.directives.get("not run")

    @property
    def runs(self) -> bool:
        return self.lang in RUNNABLE and "file" not in self.directives

    @property
    def expected_exit(self) -> int:
        return int(self.directives.get("exit", "0"))


def read_blocks(page: Path) -> list[Block]:
    """Every fenced block of a page, with the directives in the comment lines above it."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
        directives = _directives_above(lines, index)
        text = "\n".join(lines[index + 1 : end]) + "\n"
        blocks.append(Block(page, index + 1, opening.group(1), text, directives))
        index = end + 1
    return blocks


def _directives_above(lines: list[str], fence: int) -> dict[str, str]:
    found: dict[str, str] = {}
    above = fence - 1
    while above >= 0 and (match := DIRECTIVE.match(lines[above].strip())):
        found[match.group(1)] = match.group(2)
        above -= 1
    return found


@dataclass(frozen=True)
class Command:
    command: str
    shown_output: list[str]


def console_commands(text: str) -> list[Command]:
    """The `$ ` commands of a console block, each with the output lines shown after it."""
    commands: list[Command] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.startswith("$ "):
            if commands:
                commands[-1].shown_output.append(line)
            index += 1
            continue
        parts = [line[2:]]
        while parts[-1].endswith("\\") and index + 1 < len(lines):
            index += 1
            parts.append(lines[index])
        commands.append(Command("\n".join(parts), []))
        index += 1
    return commands


def missing_output(shown: list[str], printed: str) -> str | None:
    """The first shown line not found (in order) among the printed lines, else None."""
    printed_lines = [line.rstrip() for line in printed.splitlines()]
    position = 0
    for wanted in (line.rstrip() for line in shown):
        if not wanted or wanted == "...":
            continue
        pattern = re.compile(".*".join(re.escape(piece) for piece in wanted.split("...")))
        while position < len(printed_lines) and not pattern.fullmatch(printed_lines[position]):
            position += 1
        if position == len(printed_lines):
            return wanted
        position += 1
    return None


@dataclass
class Outcome:
    ok: bool
    message: str


def doc_environment() -> dict[str, str]:
    """PATH with this interpreter's bin first (its `python`, `realtime-conformance`)."""
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTEST_XDIST_WORKER", None)
    env["COLUMNS"] = "100"
    return env


def _shell(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `script` in its own process group, and end the group after it: a block that fails
    between starting a server in the background and stopping it leaves nothing running."""
    process = subprocess.Popen(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=cwd,
        env=doc_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=COMMAND_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        _end_group(process.pid)
        output, _ = process.communicate()
        output += f"\n[killed after {COMMAND_TIMEOUT_S:.0f} s]"
    finally:
        _end_group(process.pid)
    return subprocess.CompletedProcess(process.args, process.returncode, output)


def _end_group(group: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)


def run_block(block: Block, cwd: Path) -> Outcome:
    """Run (or write) one block in the page's directory."""
    if "file" in block.directives:
        target = cwd / block.directives["file"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(block.text, encoding="utf-8")
        return Outcome(True, f"wrote {target.name}")
    if block.lang == "console":
        return _run_console(block, cwd)
    if block.lang == "python":
        script = cwd / f"_doc_block_{block.line}.py"
        script.write_text(block.text, encoding="utf-8")
        return _judge(block, _shell(f"python {script.name}", cwd), [])
    return _judge(block, _shell(block.text, cwd), [])


def _run_console(block: Block, cwd: Path) -> Outcome:
    commands = console_commands(block.text)
    if not commands:
        return Outcome(False, "a console block without a `$ ` command")
    for number, command in enumerate(commands, start=1):
        last = number == len(commands)
        done = _shell(command.command, cwd)
        outcome = _judge(block, done, command.shown_output, expect_exit=None if last else 0)
        if not outcome.ok:
            return Outcome(False, f"command {number} ({command.command!r}): {outcome.message}")
    return Outcome(True, "")


def _judge(
    block: Block,
    done: subprocess.CompletedProcess[str],
    shown: list[str],
    expect_exit: int | None = None,
) -> Outcome:
    wanted = block.expected_exit if expect_exit is None else expect_exit
    if done.returncode != wanted:
        return Outcome(False, f"exit status {done.returncode}, not {wanted}:\n{done.stdout}")
    missing = missing_output(shown, done.stdout)
    if missing is not None:
        return Outcome(False, f"shown line not printed: {missing!r}\nprinted:\n{done.stdout}")
    return Outcome(True, "")
