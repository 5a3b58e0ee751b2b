"""The voice agent example (refclient/examples) run as its users run it: a process against the
mock, a generated caller WAV in, what the caller heard out; and its answers to bad input."""

from __future__ import annotations

import asyncio
import socket
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from realtime_conformance.mockserver import ServerOptions, running_server
from realtime_conformance.mockserver.options import SimulatedModel
from realtime_conformance.refclient.examples import caller_wav, voice_agent
from realtime_conformance.rtproto.audio.formats import PCM16
from realtime_conformance.rtproto.server.realtime.timing import Timing
from tests.support.refclient import client_events, mock

BOUND_S = 60.0
SPEECH_MS, PAUSE_MS = 1000, 1500
FRAME_SAMPLES = PCM16.samples_for_ms(20)
SILENT_RMS = 50.0  # synth speech is -20 dBFS (RMS ~3000); the heard file's silence is zero


def frame_levels(path: Path) -> tuple[int, np.ndarray]:
    """The WAV's rate and the RMS of each 20 ms frame."""
    with wave.open(str(path), "rb") as heard:
        assert (heard.getnchannels(), heard.getsampwidth()) == (1, 2)
        rate, pcm = heard.getframerate(), heard.readframes(heard.getnframes())
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    frames = samples[: len(samples) // FRAME_SAMPLES * FRAME_SAMPLES].reshape(-1, FRAME_SAMPLES)
    return rate, np.sqrt((frames**2).mean(axis=1))


async def run_example(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "realtime_conformance.refclient.examples.voice_agent", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def test_the_example_bridges_a_wav_caller_and_writes_what_was_heard(tmp_path: Path) -> None:
    caller, heard = tmp_path / "in.wav", tmp_path / "heard.wav"
    script = caller_wav.script(turns=1, speech_ms=SPEECH_MS, pause_ms=PAUSE_MS)
    caller_wav.write_wav(caller, script.pcm)

    async def body() -> tuple[int, str, str, list[str]]:
        async with mock() as server:
            ran = await run_example("--base-url", server.url, "--caller", str(caller),
                                    "--out", str(heard), "--seconds", "30")  # fmt: skip
            await server.connections[0].finished()
            return (*ran, [event["type"] for event in client_events(server)])

    status, out, err, sent = asyncio.run(asyncio.wait_for(body(), BOUND_S))
    assert status == 0, err
    assert "1 turn(s)" in out and "Traceback" not in err
    assert sent[0] == "session.update" and "input_audio_buffer.append" in sent
    rate, levels = frame_levels(heard)
    assert rate == PCM16.sample_rate
    turn_end_frame = script.bursts[0].end_ms // 20
    # the file is lined up with the caller's: nothing heard before the caller's turn ended,
    # then the model's answer
    assert not (levels[:turn_end_frame] > SILENT_RMS).any()
    assert (levels[turn_end_frame:] > SILENT_RMS).sum() >= 10


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing", "caller WAV not found"),
        ("not_wav", "caller WAV unreadable"),
        ("unreachable", "cannot connect to"),
    ],
)
def test_bad_input_is_one_line_and_status_2(
    case: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    caller = tmp_path / "in.wav"
    if case == "not_wav":
        caller.write_text("not audio\n")
    elif case == "unreachable":
        caller_wav.write_wav(caller, caller_wav.script(1, 200, 200).pcm)
    url = f"ws://127.0.0.1:{free_port()}/v1"
    argv = ["--base-url", url, "--caller", str(caller), "--out", str(tmp_path / "heard.wav")]
    assert voice_agent.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and expected in captured.err


def test_an_unreachable_server_gives_no_traceback_from_the_shell(tmp_path: Path) -> None:
    caller = tmp_path / "in.wav"
    caller_wav.write_wav(caller, caller_wav.script(1, 200, 200).pcm)
    url = f"ws://127.0.0.1:{free_port()}/v1"
    status, out, err = asyncio.run(
        run_example("--base-url", url, "--caller", str(caller), "--out", str(tmp_path / "o.wav"))
    )
    assert (status, out) == (2, "")
    assert err.startswith("voice_agent: cannot connect to") and err.count("\n") == 1


@pytest.mark.parametrize("limit_s", [1.0, 4.0], ids=["while-configuring", "mid-call"])
def test_a_session_the_server_ends_is_exit_1_with_one_line(limit_s: float, tmp_path: Path) -> None:
    caller, heard = tmp_path / "in.wav", tmp_path / "heard.wav"
    caller_wav.write_wav(caller, caller_wav.script(turns=3, speech_ms=1000, pause_ms=2000).pcm)
    model = SimulatedModel(timing=Timing.instant(), session_limit_s=limit_s)

    async def body() -> tuple[int, str, str]:
        options = ServerOptions(behaviour_factory=model, ping_interval_s=None)
        async with running_server(options) as server:
            return await run_example("--base-url", server.url, "--caller", str(caller),
                                     "--out", str(heard))  # fmt: skip

    status, out, err = asyncio.run(asyncio.wait_for(body(), BOUND_S))
    assert (status, out) == (1, "")
    assert err.startswith("voice_agent: the connection was lost during the call: closed by")
    assert "session expired" in err and err.count("\n") == 1
    if limit_s > 2:  # the call had begun: what was heard so far is kept
        assert frame_levels(heard)[0] == PCM16.sample_rate
