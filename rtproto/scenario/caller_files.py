"""The WAV a `caller:` names: where it is, read once with the stdlib `wave` module, checked.

`caller.wav` is absolute or relative to the scenario file's directory, like a replay's file. It
must be mono 16-bit PCM, at any sample rate (rtproto.scenario.caller resamples it to the
caller's format). The loader reports what is wrong with it at `caller.wav`.
"""

from __future__ import annotations

import wave
from functools import lru_cache
from pathlib import Path
from typing import Any

from realtime_conformance.rtproto.scenario.diagnostics import Issue
from realtime_conformance.rtproto.scenario.replay_files import replay_path
from realtime_conformance.rtproto.scenario.spec import WavFile

CACHED_WAVS = 16
PCM16_WIDTH = 2


class WavError(Exception):
    """A file `wave` cannot read as mono PCM16 audio; `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def wav_path(file: str, scenario_file: str) -> Path:
    """A caller's WAV: absolute, or relative to the scenario file's directory."""
    return replay_path(file, scenario_file)


def _read(path: Path) -> WavFile:
    try:
        with wave.open(str(path), "rb") as reader:
            channels, width = reader.getnchannels(), reader.getsampwidth()
            rate, frames = reader.getframerate(), reader.readframes(reader.getnframes())
    except (wave.Error, EOFError) as error:
        raise WavError(f"{path} is not a PCM WAV file ({str(error) or 'truncated'})") from None
    if channels != 1:
        raise WavError(f"{path} has {channels} channels; a caller is mono: mix it down first")
    if width != PCM16_WIDTH:
        raise WavError(f"{path} has {8 * width}-bit samples; expected 16-bit PCM")
    if not frames:
        raise WavError(f"{path} holds no audio")
    return WavFile(str(path), rate, frames)


@lru_cache(maxsize=CACHED_WAVS)
def _cached(path: str, stamp: tuple[int, int]) -> WavFile:
    return _read(Path(path))


def load_wav(path: Path) -> WavFile:
    """The WAV, read once while the file is unchanged; WavError or OSError when it cannot be."""
    status = path.stat()
    return _cached(str(path), (status.st_mtime_ns, status.st_size))


def wav_issues(data: Any, scenario_file: str) -> list[Issue]:
    """What is wrong with the caller's WAV file, if the scenario names one."""
    caller = data.get("caller") if isinstance(data, dict) else None
    file = caller.get("wav") if isinstance(caller, dict) else None
    if not isinstance(file, str) or not file:
        return []
    path = wav_path(file, scenario_file)
    try:
        load_wav(path)
    except OSError as error:
        return [Issue(("caller", "wav"), f"cannot read {str(path)!r}: {error.strerror}")]
    except WavError as error:
        return [Issue(("caller", "wav"), error.message)]
    return []
