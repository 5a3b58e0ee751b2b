"""Black-box connectors: a telephony service the suite cannot drive, judged from its two wires.

A connector (a Twilio Media Streams <-> Realtime bridge, a SIP gateway, a voice-agent
framework) has no API the suite could call: its only stimulus is a phone call. So its driver's
steps are the call alone: the virtual call dials the connector's media WebSocket (as Twilio
does) and speaks the caller's script; the connector opens its own Realtime session to the mock
(configured as the connector sees fit: `configure` does nothing) and the mock answers as the
case scripts or simulates; the checks judge both wires as for any client.

Two ways to reach it:

- `--connector-cmd "CMD ..."`: the suite starts the service once PER CASE, with the case's
  endpoints in its environment (conformance.drivers.environment: OPENAI_BASE_URL,
  OPENAI_API_KEY, OPENAI_REALTIME_URL ...) and PORT, the port to listen on (`{port}` in the
  command and in `--media-url` is replaced by it). Per case, because the case's Realtime URL
  carries its run token (that is how the mock ties the connector's connection to its case, so
  cases run side by side), a crash spoils one case with its own stderr tail, and no call state
  leaks into the next case. The service is ready when its media port accepts a connection; at
  the end of the case its process group gets SIGTERM, then SIGKILL.
- `--connector-url ws://HOST:PORT/media-stream`: a service already running, started by the
  vendor with OPENAI_REALTIME_URL pointing at the suite's mock (`--mock-port`). Its Realtime
  connections carry no run token: the mock gives a connection without one to the one live
  connector case (conformance.harness, OpenAISide.claiming), so its cases run one at a time
  (as do those of a command whose service builds its own URL, with --concurrency 1).

What a connector cannot take part in is UNIMPLEMENTED with the reason (`refusal`): a case whose
stimulus needs a driven client (send_text, call_method, set_tool_outputs, cancel) or is no call
(the session handshake: a silent call would send audio its scenario takes no rule for), a dialect or
media format it does not speak, a session asking for what it did not declare (tools, input
transcription: it configures its own session). Declared capabilities: conformance.drivers.
capabilities (`--capabilities FILE`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import socket
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from realtime_conformance.conformance.drivers.base import ClientReports, DriverError, Endpoints
from realtime_conformance.conformance.drivers.capabilities import Profile, load_profile
from realtime_conformance.conformance.drivers.environment import case_environment, child_environment
from realtime_conformance.conformance.drivers.service import ServiceFailed, ServiceProcess

if TYPE_CHECKING:
    from realtime_conformance.conformance.call.virtual_call import VirtualCall
    from realtime_conformance.conformance.cases import Case

PORT_FIELD = "{port}"
DEFAULT_MEDIA_URL = "ws://127.0.0.1:{port}/media-stream"
PORT_VARIABLE = "PORT"  # the port the service listens on (the usual name of a web service's)
CALL_ACTIONS = frozenset({"configure", "stream_call", "wait", "close"})
START_S = 10.0  # from spawn to a listening media port
DIAL_S = 5.0  # the call's WebSocket handshake with the connector
HANG_UP_S = 1.0
STOP_GRACE_S = 1.0  # after SIGTERM: the runner gives close() 3 s in all


@runtime_checkable
class ServiceClient(Protocol):
    """What the runner asks of a client it cannot drive, beyond ClientDriver."""

    def refusal(self, case: Case, dialect: str) -> str | None:
        """Why this client cannot take part in the case (UNIMPLEMENTED), or None."""

    def attach_call(self, call: VirtualCall) -> None:
        """The case's virtual call, which dials the client (every case of it has one)."""

    def trouble(self) -> str | None:
        """What went wrong with the service so far (it exited: status, output tail), or None."""


@dataclass(frozen=True)
class ConnectorSpec:
    """How to reach the connector: a command started per case, or a running service's URL."""

    profile: Profile
    command: str | None = None
    url: str | None = None
    media_url: str = DEFAULT_MEDIA_URL  # with --connector-cmd; `{port}`: a free port per case

    @property
    def label(self) -> str:
        return f"connector-cmd {self.command}" if self.command else f"connector-url {self.url}"

    @property
    def serial(self) -> bool:
        """Cases must run one at a time: every case's service would listen on the same port,
        or one running service takes every call (its Realtime connections are tied to the one
        live case: conformance.harness)."""
        return self.command is None or PORT_FIELD not in self.media_url


def connector_spec(
    command: str | None,
    url: str | None,
    media_url: str | None,
    capabilities: Path | None,
    mock_port: int = 0,
) -> ConnectorSpec | None:
    """The spec the options give (None: no connector); ValueError (CapabilitiesError) for a
    bad one."""
    if command is None and url is None:
        if media_url is not None or capabilities is not None:
            raise ValueError(
                "--media-url and --capabilities go with --connector-cmd or --connector-url"
            )
        return None
    if command is not None and url is not None:
        raise ValueError("--connector-cmd and --connector-url: give one connector, not both")
    if command is not None and not shlex.split(command):
        raise ValueError("--connector-cmd is empty")
    if url is not None and media_url is not None:
        raise ValueError("--media-url goes with --connector-cmd (--connector-url is the URL)")
    if url is not None and not mock_port:
        raise ValueError(
            "--connector-url needs --mock-port: the running connector must have been started "
            "with OPENAI_REALTIME_URL=ws://127.0.0.1:PORT/v1/realtime?model=gpt-realtime"
        )
    target = url if url is not None else (media_url or DEFAULT_MEDIA_URL)
    parts = urlsplit(target.replace(PORT_FIELD, "1"))
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise ValueError(f"{target!r}: expected a ws://HOST:PORT/PATH URL")
    profile = load_profile(capabilities)
    if url is not None:
        return ConnectorSpec(profile, url=url)
    return ConnectorSpec(profile, command=command, media_url=media_url or DEFAULT_MEDIA_URL)


def refusal(spec: ConnectorSpec, case: Case, dialect: str) -> str | None:
    """Why a connector cannot take part in `case` in `dialect`, or None."""
    profile = spec.profile
    if dialect not in profile.dialects:
        return f"the connector speaks only {', '.join(profile.dialects)} (its capabilities file)"
    driven = sorted({step.action for step in case.steps} - CALL_ACTIONS)
    if driven:
        return (
            f"its stimulus needs a driven client ({', '.join(driven)}): a connector takes part "
            "only through a call"
        )
    if not case.uses_call:
        return "its stimulus is not a call (a connector takes part only through a call)"
    if case.media != profile.media_format:
        return f"its call streams {case.media}; the connector takes {profile.media_format}"
    lacking = sorted(session_needs(case) - profile.capabilities)
    if lacking:
        return (
            f"the connector lacks: {', '.join(lacking)} (the case's session asks for it; a "
            "connector configures its own session)"
        )
    return None


def session_needs(case: Case) -> set[str]:
    """What the sessions a case configures ask of the client, beyond the call."""
    needs: set[str] = set()
    for step in case.steps:
        if step.action != "configure" or not isinstance(step.args, Mapping):
            continue
        if step.args.get("tools"):
            needs.add("tools")
        audio_input = (step.args.get("audio") or {}).get("input") or {}
        if isinstance(audio_input, Mapping) and audio_input.get("transcription"):
            needs.add("transcription")
    return needs


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class ConnectorDriver:
    """One case's connector: its service (per case, or the running one) and the call."""

    def __init__(self, spec: ConnectorSpec) -> None:
        self.spec = spec
        self.name = spec.profile.name
        self.capabilities = spec.profile.capabilities
        self.call: VirtualCall | None = None
        self.service: ServiceProcess | None = None
        self.media_url = spec.url or ""
        self.reports: ClientReports | None = None

    def refusal(self, case: Case, dialect: str) -> str | None:
        return refusal(self.spec, case, dialect)

    def attach_call(self, call: VirtualCall) -> None:
        self.call = call

    def trouble(self) -> str | None:
        service = self.service
        if service is None or service.returncode is None:
            return None
        return f"the connector exited with status {service.returncode}; {service.tail()}"

    def process_group(self) -> int | None:  # base.SeparateProcess (a service we started)
        return self.service.pid if self.service is not None else None

    async def start(self, endpoints: Endpoints, reports: ClientReports) -> None:
        """Start the service (per case), then place the call: a call is all that makes a
        connector act, and the steps before `stream_call` (`configure`) are its own."""
        self.reports = reports
        if self.spec.command is not None:
            await self._start_service(endpoints, reports)
        await self._dial()

    async def _start_service(self, endpoints: Endpoints, reports: ClientReports) -> None:
        host = urlsplit(self.spec.media_url.replace(PORT_FIELD, "1")).hostname or "127.0.0.1"
        port = free_port(host) if PORT_FIELD in self.spec.media_url else _port_of(self.spec)
        self.media_url = self.spec.media_url.replace(PORT_FIELD, str(port))
        argv = [part.replace(PORT_FIELD, str(port)) for part in shlex.split(self.spec.command)]
        self.service = ServiceProcess(argv, _environment(endpoints, port))
        try:
            await self.service.start()
            ready_ms = await self.service.wait_listening(host, port, START_S)
        except ServiceFailed as error:
            raise DriverError(f"the connector {error}; {self.service.tail()}") from None
        reports.report(
            "ConnectorStarted",
            {"pid": self.service.pid,
             "media_url": self.media_url, "ready_ms": ready_ms},
        )  # fmt: skip

    async def configure(self, session: Mapping[str, Any]) -> None:
        """Nothing: a connector configures its own session (the case's session shapes which
        cases it can take part in: `refusal`)."""

    async def stream_call(self) -> None:
        """Nothing more: the call dialled the connector at `start` (the steps before a
        `stream_call` are `configure`, which a connector does on its own)."""

    async def _dial(self) -> None:
        """The call dials the connector's media WebSocket and the caller starts speaking."""
        if self.call is None:
            raise DriverError("the case has no call to dial the connector with")
        try:
            await asyncio.wait_for(self.call.dial(self.media_url), DIAL_S)
        except Exception as error:
            note = f"; {self.service.tail()}" if self.service is not None else ""
            why = str(error) or type(error).__name__
            raise DriverError(f"the call could not reach {self.media_url}: {why}{note}") from None

    async def send_text(self, text: str) -> None:
        raise DriverError("a connector cannot be driven: no send_text")

    async def set_tool_outputs(self, outputs: Mapping[str, str]) -> None:
        raise DriverError("a connector cannot be driven: no set_tool_outputs")

    async def cancel(self) -> None:
        raise DriverError("a connector cannot be driven: no cancel")

    async def call_method(self, name: str, args: Mapping[str, Any]) -> None:
        raise DriverError("a connector cannot be driven: no call_method")

    async def close(self) -> None:
        """Hang up (the connector should end its Realtime session), then stop the service."""
        if self.call is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.call.hang_up(), HANG_UP_S)
        if self.service is not None:
            exited_before = self.service.returncode is not None
            await self.service.stop(STOP_GRACE_S)
            if exited_before and self.reports is not None:
                self.reports.report("ConnectorExited", {"status": self.service.returncode,
                                                        "output": self.service.tail()})  # fmt: skip


def _port_of(spec: ConnectorSpec) -> int:
    port = urlsplit(spec.media_url).port
    if port is None:
        raise DriverError(f"--media-url {spec.media_url}: no port (give one, or {PORT_FIELD})")
    return port


def _environment(endpoints: Endpoints, port: int) -> dict[str, str]:
    """The case's variables (no CONFORMANCE_MEDIA_URL: the call dials the connector) and
    PORT."""
    variables = case_environment(replace(endpoints, media_url=None))
    variables[PORT_VARIABLE] = str(port)
    return child_environment(os.environ, variables)


@dataclass(frozen=True)
class ConnectorFactory:
    """The suite's driver factory for a connector (a fresh driver per case)."""

    spec: ConnectorSpec

    def __call__(self) -> ConnectorDriver:
        return ConnectorDriver(self.spec)
