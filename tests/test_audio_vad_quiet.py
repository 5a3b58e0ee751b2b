"""The VAD's shortcut for quiet appends (`ServerVad._all_quiet`) decides exactly what judging
every frame decides, near the threshold too."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from realtime_conformance.rtproto.audio.vad import ServerVad, VadEvent, level_for_threshold


class ExactVad(ServerVad):
    """The same VAD without the shortcut: every append judged frame by frame."""

    def _all_quiet(self, frames: NDArray[np.float32]) -> bool:
        return False


def tone_at(dbfs: float, samples: int) -> NDArray[np.float32]:
    """A square wave whose RMS level is `dbfs`."""
    amplitude = 10.0 ** (dbfs / 20.0)
    signs = np.where(np.arange(samples) % 48 < 24, 1.0, -1.0)
    wave: NDArray[np.float32] = (amplitude * signs).astype(np.float32)
    return wave


def fed(vad: ServerVad, appends: list[NDArray[np.float32]]) -> list[tuple[int, VadEvent]]:
    return [(index, event) for index, chunk in enumerate(appends) for event in vad.feed(chunk)]


@pytest.mark.parametrize("threshold", [0.0, 0.2, 0.5, 0.9])
def test_the_shortcut_decides_as_every_frame_does(threshold: float) -> None:
    start = level_for_threshold(threshold)
    rng = np.random.default_rng(7)
    levels = [start + offset for offset in rng.uniform(-0.2, 0.2, 300)]  # around the threshold
    levels += [-200.0] * 50 + [start + 3.0] * 20 + [-90.0] * 80  # silence, speech, quiet again
    appends = [tone_at(level, 480) for level in levels]  # 20 ms at 24 kHz each
    shortcut = fed(ServerVad(threshold), appends)
    assert shortcut == fed(ExactVad(threshold), appends)
    assert shortcut  # speech was found: the comparison covers decisions, not only silence


def test_silence_starts_speech_at_threshold_zero() -> None:
    events = ServerVad(0.0).feed(np.zeros(480, dtype=np.float32))
    assert len(events) == 1


class ExactInt16Vad(ExactVad):
    """`feed_int16` without its shortcut either: every append converted and judged."""

    def _quiet_whole_frames(self, samples: NDArray[np.int16]) -> bool:
        return False


def as_int16(samples: NDArray[np.float32]) -> NDArray[np.int16]:
    pcm: NDArray[np.int16] = np.clip(np.rint(samples * 32768.0), -32768, 32767).astype(np.int16)
    return pcm


@pytest.mark.parametrize("threshold", [0.0, 0.2, 0.5, 0.9])
@pytest.mark.parametrize("append_samples", [480, 240, 360, 4800])  # whole frames, partial, long
def test_the_int16_shortcut_decides_as_every_frame_does(
    threshold: float, append_samples: int
) -> None:
    start = level_for_threshold(threshold)
    rng = np.random.default_rng(11)
    levels = [start + offset for offset in rng.uniform(-3.5, 0.2, 300)]  # at and below the start
    levels += [-200.0] * 50 + [start + 3.0] * 20 + [-90.0] * 80  # silence, speech, quiet again
    appends = [as_int16(tone_at(level, append_samples)) for level in levels]
    exact = ExactInt16Vad(threshold)
    expected = [(i, event) for i, chunk in enumerate(appends) for event in exact.feed_int16(chunk)]
    vad = ServerVad(threshold)
    found = [(i, event) for i, chunk in enumerate(appends) for event in vad.feed_int16(chunk)]
    assert found == expected
    assert found  # speech was found
    assert vad.position_ms == exact.position_ms


def test_the_int16_shortcut_skips_a_quiet_append() -> None:
    vad = ServerVad(0.5)
    quiet = as_int16(tone_at(level_for_threshold(0.5) - 4.0, 480))  # 2 frames, bound +3 dB
    assert vad._quiet_whole_frames(quiet)
    assert vad.feed_int16(quiet) == [] and vad.position_ms == 20
    assert not vad._quiet_whole_frames(as_int16(tone_at(level_for_threshold(0.5) - 2.0, 480)))
