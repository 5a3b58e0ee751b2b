"""A client in any language, run as a child process per case and driven by JSON lines
(`--client-cmd "CMD ..."`): the driver interface of conformance.drivers.base, one command line
on the child's stdin per call, one reply line per command on its stdout, the client's reports
in between. The lines are described in schemas/driver/ and docs/reference/driver-interface.md;
`python -m realtime_conformance.refclient.driver` is the reference client in this form.

Whatever the child does wrong is a DriverError, which the runner records as a FAIL of the
step: it dies (exit status), hangs (no reply within the step's limit), writes a line that is
not one of the protocol's, or replies to another command. Each such message ends with the
tail of the child's stderr, and the child's process group is killed at once; `close` kills it
too, after the `close` command, so no case leaves a process behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from realtime_conformance.conformance.drivers.base import (
    CAPABILITIES,
    ClientReports,
    DriverError,
    Endpoints,
)
from realtime_conformance.conformance.drivers.child_process import Child
from realtime_conformance.conformance.drivers.environment import case_environment, child_environment

STEP_S = 10.0  # a command's reply (a step returns when the client has done it, not answered)
FIRST_LINE_S = 10.0  # from spawning to the first line (the interpreter's start-up included)
CASE_MARGIN_S = 1.0  # a hang is reported this long before the case's own time limit
MIN_LIMIT_S = 0.5
CLOSE_REPLY_S = 1.5  # the runner gives close 3 s in all
EXIT_S = 0.5  # after its `close` reply, the child may exit on its own before being killed
QUOTED = 200  # characters of a bad line quoted in the failure


@dataclass(frozen=True)
class Hello:
    """The child's first line: `{"driver": NAME, "capabilities": [...]}`."""

    name: str
    capabilities: frozenset[str]


def parse_hello(line: Any) -> Hello:
    """The first line's name and capabilities; ValueError says what is wrong with it."""
    if not isinstance(line, dict) or not isinstance(line.get("driver"), str):
        raise ValueError('the first line must be {"driver": NAME, "capabilities": [...]}')
    capabilities = line.get("capabilities")
    if not isinstance(capabilities, list) or not all(isinstance(c, str) for c in capabilities):
        raise ValueError("its capabilities must be a list of names")
    unknown = sorted(set(capabilities) - CAPABILITIES)
    if unknown:
        raise ValueError(f"unknown capabilities {unknown} (known: {sorted(CAPABILITIES)})")
    return Hello(line["driver"], frozenset(capabilities))


def start_params(endpoints: Endpoints) -> dict[str, Any]:
    """The `start` command's params: every Endpoints field."""
    params = asdict(endpoints)
    params["extra"] = dict(endpoints.extra)
    return params


def exit_text(code: int | None) -> str:
    if code is None:
        return "closed its stdout"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-code).name}"
    return f"exited with status {code}"


def quoted(line: str) -> str:
    return repr(line if len(line) <= QUOTED else line[:QUOTED] + "...")


class _Gone(Exception):
    """The child can reply no more."""


class CommandDriver:
    """One child process for one case (the factory, conformance.drivers.command_client, makes
    a fresh driver per case with the name and capabilities its probe learned)."""

    def __init__(
        self,
        argv: tuple[str, ...],
        hello: Hello,
        step_s: float = STEP_S,
        first_line_s: float = FIRST_LINE_S,
    ) -> None:
        self.argv = argv
        self.name, self.capabilities = hello.name, hello.capabilities
        self.step_s, self.first_line_s = step_s, first_line_s
        self.child: Child | None = None
        self.reports: ClientReports | None = None
        self.deadline: float | None = None  # monotonic: the case's time limit, less a margin
        self.ids = itertools.count(1)
        self.waiting: tuple[int, str, asyncio.Future[None]] | None = None  # id, method, reply
        self.hello: asyncio.Future[Hello] | None = None
        self.fault: str | None = None  # the first protocol failure, kept for the next step
        self.failed = False

    def process_group(self) -> int | None:  # base.SeparateProcess
        return self.child.pid if self.child is not None else None

    # -- what the child says (conformance.drivers.child_process.ChildEvents) ------------------

    def line(self, text: str) -> None:
        if not text.strip():
            return
        try:
            value = json.loads(text)
        except ValueError:
            self._problem(f"the client wrote a line that is not JSON: {quoted(text)}")
            return
        if self.hello is not None and not self.hello.done():
            self._first(value, text)
        elif isinstance(value, dict) and "report" in value:
            self._report(value, text)
        elif isinstance(value, dict) and "id" in value and "ok" in value:
            self._reply(value)
        else:
            self._problem(f"the client wrote a line that is no reply nor report: {quoted(text)}")

    def problem(self, text: str) -> None:
        self._problem(f"the client wrote {text}")

    def gone(self) -> None:
        for future in self._open_futures():
            future.set_exception(_Gone())

    def _open_futures(self) -> list[asyncio.Future[Any]]:
        futures: list[asyncio.Future[Any]] = []
        if self.hello is not None:
            futures.append(self.hello)
        if self.waiting is not None:
            futures.append(self.waiting[2])
        return [future for future in futures if not future.done()]

    def _problem(self, text: str) -> None:
        self.fault = self.fault or text
        for future in self._open_futures():
            future.set_exception(DriverError(text))

    def _first(self, value: Any, text: str) -> None:
        assert self.hello is not None
        try:
            self.hello.set_result(parse_hello(value))
        except ValueError as error:
            self._problem(f"the client's first line is not its hello ({error}): {quoted(text)}")

    def _report(self, value: dict[str, Any], text: str) -> None:
        name, data = value.get("report"), value.get("data", {})
        if not isinstance(name, str) or not isinstance(data, dict):
            self._problem(f'a report must be {{"report": NAME, "data": {{...}}}}: {quoted(text)}')
        elif self.reports is not None:
            self.reports.report(name, data)

    def _reply(self, value: dict[str, Any]) -> None:
        if self.waiting is None:
            self._problem(f"the client replied to id {value['id']!r} when no command was waiting")
            return
        number, method, future = self.waiting
        if value["id"] != number:
            self._problem(
                f"the client replied to id {value['id']!r} while {method} (id {number}) waited"
            )
        elif value["ok"] is True:
            future.set_result(None)
        else:  # the client's own refusal: a FAIL of the step with its words, not of the process
            future.set_exception(DriverError(str(value.get("error") or "failed (no error text)")))

    # -- the driver interface ------------------------------------------------------------------

    async def start(self, endpoints: Endpoints, reports: ClientReports) -> None:
        self.reports = reports
        timeout_s = float(endpoints.extra.get("timeout_s", 0) or 0)
        if timeout_s:
            self.deadline = time.monotonic() + timeout_s - CASE_MARGIN_S
        hello = await self.launch(child_environment(os.environ, case_environment(endpoints)))
        if hello.capabilities != self.capabilities:
            self._note_capabilities(hello)
        await self.request("start", start_params(endpoints))

    async def launch(self, env: Mapping[str, str]) -> Hello:
        """Spawn the child and read its first line (the probe stops here)."""
        self.hello = asyncio.get_running_loop().create_future()
        try:
            self.child = await Child.spawn(self.argv, env, self)
        except OSError as error:
            raise DriverError(f"cannot start {self.argv[0]!r}: {error}") from None
        hello: Hello = await self._await(self.hello, "hello line", self.first_line_s)
        return hello

    def _note_capabilities(self, hello: Hello) -> None:
        """A child that declares other capabilities than it did when probed: the case was
        chosen by the probe's; its checks see what this child declared."""
        if self.reports is not None:
            self.reports.report(
                "CapabilitiesChanged",
                {"probed": sorted(self.capabilities), "declared": sorted(hello.capabilities)},
            )
        self.capabilities = hello.capabilities

    async def configure(self, session: Mapping[str, Any]) -> None:
        await self.request("configure", {"session": dict(session)})

    async def send_text(self, text: str) -> None:
        await self.request("send_text", {"text": text})

    async def stream_call(self) -> None:
        await self.request("stream_call", {})

    async def set_tool_outputs(self, outputs: Mapping[str, str]) -> None:
        await self.request("set_tool_outputs", {"outputs": dict(outputs)})

    async def cancel(self) -> None:
        await self.request("cancel", {})

    async def call_method(self, name: str, args: Mapping[str, Any]) -> None:
        await self.request("call_method", {"name": name, "args": dict(args)})

    async def close(self) -> None:
        """Ask the child to close, give it a moment to exit, then kill its group regardless."""
        child = self.child
        if child is None:
            return
        try:
            if not self.failed and self.fault is None and child.returncode is None:
                with contextlib.suppress(DriverError):
                    await self.request("close", {}, limit_s=CLOSE_REPLY_S)
                child.close_stdin()
                await child.exited(EXIT_S)
        finally:
            self.child = None
            await child.kill()

    # -- commands ----------------------------------------------------------------------------

    async def request(
        self, method: str, params: Mapping[str, Any], limit_s: float | None = None
    ) -> None:
        """Send one command; return on its `ok` reply; DriverError for anything else."""
        child = self.child
        if child is None:
            raise DriverError(f"{method}: the client process is not running")
        if self.fault is not None:
            raise await self._fail(self.fault)
        number = next(self.ids)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting = (number, method, future)
        self.send(child, {"id": number, "method": method, "params": dict(params)})
        try:
            await self._await(future, f"reply to {method} (id {number})", limit_s or self.step_s)
        finally:
            self.waiting = None

    def send(self, child: Child, command: Mapping[str, Any]) -> None:
        """Write one command line (a subclass may trace it: tests validate every line)."""
        child.write(json.dumps(command, separators=(",", ":")))

    async def _await(self, future: asyncio.Future[Any], what: str, limit_s: float) -> Any:
        limit = self._limit(limit_s)
        try:
            return await asyncio.wait_for(future, limit)
        except TimeoutError:
            raise await self._fail(f"no {what} within {limit:.1f} s") from None
        except _Gone:
            code = await self.child.exited(0.5) if self.child else None
            raise await self._fail(
                f"the client process {exit_text(code)} before its {what}"
            ) from None
        except DriverError as error:
            if self.fault is None:  # the client's own `ok: false`: it is still fine
                raise
            raise await self._fail(str(error)) from None

    def _limit(self, limit_s: float) -> float:
        if self.deadline is None:
            return limit_s
        return max(MIN_LIMIT_S, min(limit_s, self.deadline - time.monotonic()))

    async def _fail(self, text: str) -> DriverError:
        """The process failure `text`, with the child's stderr tail; the child killed."""
        self.failed = True
        child = self.child
        if child is None:
            return DriverError(text)
        await child.kill()
        return DriverError(text + stderr_text(child.stderr_tail()))

    def trouble(self) -> str | None:
        """What went wrong with the child outside any step (conformance.runner adds it to a
        timeout): it died, or wrote a bad line, while the suite waited on the wires."""
        child = self.child
        if self.failed:  # already the FAIL of the step it happened in
            return None
        if self.fault is None and (child is None or child.returncode is None):
            return None
        text = self.fault or f"the client process {exit_text(child.returncode if child else None)}"
        return text + (stderr_text(child.stderr_tail()) if child else "")


def stderr_text(tail: list[str]) -> str:
    if not tail:
        return "; its stderr was empty"
    lines = "\n".join(f"  | {line}" for line in tail)
    last = "the last line" if len(tail) == 1 else f"the last {len(tail)} lines"
    return f"; {last} of its stderr:\n{lines}"
