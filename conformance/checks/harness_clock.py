"""How late the harness itself was, so that its own stalls are not counted against the client:
the loop as a whole (HarnessLateness, from the call's schedule) and the mock with the model's
audio (ServerAudioLateness, from each item's deltas against their real-time pace).

The suite runs many timing cases at once in one event loop on a shared machine: when the loop
is slow, the client, the mock, the virtual call and their time stamps are all late together.
The virtual call sends the caller's audio on absolute deadlines (frame k when its last sample
has been spoken) and records each frame when sent, so its lateness against that schedule is
the harness's own lateness at that moment. A timing check subtracts, from a delay it measures
over a stretch of time, the harness's largest lateness in that stretch: a client that is late
on its own, while the call keeps its schedule, is still late.

The schedule's origin is taken from the frames themselves (the least late frame was on time),
so no meta line is needed. Without caller audio (no call), the harness counts as never late.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence


class HarnessLateness:
    def __init__(self, caller_frames: Sequence[tuple[float, float]]) -> None:
        """`caller_frames`: (t_ms sent, duration ms) of the call's audio frames, in order."""
        ends = _ends(caller_frames)
        times = [t for t, _ in caller_frames]
        origin = min((t - end for t, end in zip(times, ends, strict=True)), default=0.0)
        late = [t - (origin + end) for t, end in zip(times, ends, strict=True)]
        pairs = sorted(zip(times, late, strict=True))
        self.times = [t for t, _ in pairs]
        self.late = [late for _, late in pairs]

    def between(self, start_ms: float, end_ms: float) -> float:
        """The harness's largest lateness over [start_ms, end_ms] (0 if no frame was sent)."""
        return _largest_between(self.times, self.late, start_ms, end_ms)

    def excuse(self, delay_ms: float, start_ms: float, end_ms: float) -> float:
        """`delay_ms` measured over [start_ms, end_ms], less what the harness was late then."""
        return max(0.0, delay_ms - self.between(start_ms, end_ms))


FORWARD_MS = 20.0  # a bridge forwards audio on a frame's tick: this long after it arrives


class ServerAudioLateness:
    """How late the mock sent one item's audio against the pace it was due at.

    The mock paces a reply at real time: the item's first delta, then each delta one audio
    duration after the one before. Under load it falls behind in steps too small to show as
    loop lag, and a bridge that forwards audio as it arrives starves the call through no fault
    of its own. A delta's lateness is its send time less its due time (first delta's time plus
    the audio before it); a delta sent early counts as on time. Without deltas, never late.
    """

    def __init__(self, deltas: Sequence[tuple[float, float]]) -> None:
        """`deltas`: (t_ms sent, audio ms) of one item's audio deltas, in order."""
        self.times = [t for t, _ in deltas]
        self.starts = [end - ms for (_, ms), end in zip(deltas, _ends(deltas), strict=True)]
        first = self.times[0] if self.times else 0.0
        self.late = [max(0.0, t - first - s) for t, s in zip(self.times, self.starts, strict=True)]

    def sent(self, position_ms: float) -> tuple[float, float]:
        """(t_ms sent, lateness) of the delta carrying the audio at `position_ms` of the item."""
        index = bisect.bisect_right(self.starts, position_ms) - 1
        if index < 0:
            return 0.0, 0.0
        return self.times[index], self.late[index]

    def between(self, start_ms: float, end_ms: float) -> float:
        """The mock's largest lateness with the deltas it sent over [start_ms, end_ms]."""
        return _largest_between(self.times, self.late, start_ms, end_ms)

    def excuse_underrun(self, gap_ms: float, due_ms: float, position_ms: float) -> float:
        """`gap_ms` of silence from `due_ms`, when the call needed the audio at `position_ms`,
        less the part the mock caused: the audio had not reached the client (a frame's
        forwarding included) by when it was due, and only as much as the mock was late with it.
        A client that starves the call with the audio in hand is not excused."""
        sent_ms, late = self.sent(position_ms)
        unavailable = sent_ms + FORWARD_MS - due_ms
        return max(0.0, gap_ms - max(0.0, min(late, unavailable)))


def _ends(deltas: Sequence[tuple[float, float]]) -> list[float]:
    return list(itertools.accumulate(ms for _, ms in deltas))


def _largest_between(
    times: Sequence[float], late: Sequence[float], start_ms: float, end_ms: float
) -> float:
    """The largest of `late` whose time (in sorted `times`) is in [start_ms, end_ms], else 0."""
    low = bisect.bisect_left(times, start_ms)
    high = bisect.bisect_right(times, end_ms)
    return max(late[low:high], default=0.0)
