"""A minimal telephony connector for the connector tests: a Twilio Media Streams service that
bridges each call to a Realtime session with the reference client (barge-in included).

    PORT=8080 OPENAI_REALTIME_URL=ws://... OPENAI_API_KEY=... \\
        python -m tests.support.connector_service [--mode MODE]

It listens on PORT at /media-stream, opens its Realtime session (G.711 mu-law both ways, server
VAD), takes one call and bridges it until the call ends or SIGTERM.
`--mode on-call` opens the session when the call arrives (a service started before the run,
for --connector-url). `--mode crash` fails at start-up (stderr, status 3); `exit-on-call` dies
when the call arrives (status 4); `deaf` takes the call but never opens a Realtime session;
`leaves-child` starts a helper process that ignores SIGTERM (its pid in CONNECTOR_TEST_PIDFILE);
`base-url` builds its Realtime URL from OPENAI_BASE_URL (no run token in it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from realtime_conformance.refclient.media.sockets import TwilioUnit
from realtime_conformance.refclient.realtime import create_realtime_api_client

SESSION = {
    "type": "realtime",
    "output_modalities": ["audio"],
    "audio": {
        "input": {
            "format": {"type": "audio/pcmu"},
            "turn_detection": {"type": "server_vad", "silence_duration_ms": 500},
        },
        "output": {"format": {"type": "audio/pcmu"}, "voice": "alloy"},
    },
}
CALL_WAIT_S = 60.0
POLL_S = 0.1


async def serve(mode: str) -> int:
    unit = TwilioUnit(port=int(os.environ["PORT"]), open_timeout_s=CALL_WAIT_S)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    if mode == "deaf":
        await unit.listen()
        await unit.open()
        await stop.wait()
        return 0
    if mode == "leaves-child":  # a helper that ignores SIGTERM: only the group's SIGKILL ends it
        _leave_child(os.environ["CONNECTOR_TEST_PIDFILE"])
    if mode == "on-call":  # as a long-running service does: a session per call
        await unit.listen()
        await unit.open()
    # Per case, the session is up before the service listens; on a call, the caller's audio
    # from before it is dropped: sent late, it would go as one burst (media.input_pacing).
    client = await create_realtime_api_client(
        api_key=os.environ["OPENAI_API_KEY"],
        base_url=_realtime_url(mode),
        dialect="beta" if os.environ.get("CONFORMANCE_DIALECT") == "beta" else "ga",
    )
    try:
        await client.session_update({"session": SESSION})
        await unit.listen()
        await unit.open()  # the call has dialled and its stream has started
        if mode == "exit-on-call":
            print("connector_service: lost the upstream configuration mid-call", file=sys.stderr)
            return 4
        if mode == "on-call":
            _drop_queued_audio(unit)
        await client.send_media_to(unit)
        while not stop.is_set() and not _hung_up(unit):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), POLL_S)
    finally:
        await client.close()
        await unit.close()
    return 0


def _realtime_url(mode: str) -> str:
    """OPENAI_REALTIME_URL as given; `base-url`: built from OPENAI_BASE_URL, as the openai SDK
    builds it (no run token: the mock ties it to its case only when one case is live)."""
    if mode != "base-url":
        return os.environ["OPENAI_REALTIME_URL"]
    base = os.environ["OPENAI_BASE_URL"].replace("http://", "ws://", 1)
    return f"{base}/realtime?model={os.environ.get('CONFORMANCE_MODEL', 'gpt-realtime')}"


def _leave_child(pid_file: str) -> None:
    ignores_term = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)"
    )
    child = subprocess.Popen([sys.executable, "-c", ignores_term])
    Path(pid_file).write_text(str(child.pid))


def _drop_queued_audio(unit: TwilioUnit) -> None:
    queued = unit._caller  # a test service: the unit has no public "skip what is queued"
    while not queued.empty():
        queued.get_nowait()


def _hung_up(unit: TwilioUnit) -> bool:
    socket = unit._socket  # a test service: the unit has no public "ended"
    return socket is None or socket.closed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--mode",
        choices=["ok", "on-call", "base-url", "crash", "exit-on-call", "deaf", "leaves-child"],
        default="ok",
    )
    mode = parser.parse_args().mode
    if mode == "crash":
        print("connector_service: cannot read config.yaml: no such file", file=sys.stderr)
        return 3
    return asyncio.run(serve(mode))


if __name__ == "__main__":
    sys.exit(main())
