"""How late the harness itself was, so that its own stalls are not counted against the client.

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
        ends = list(itertools.accumulate(ms for _, ms in caller_frames))
        times = [t for t, _ in caller_frames]
        origin = min((t - end for t, end in zip(times, ends, strict=True)), default=0.0)
        late = [t - (origin + end) for t, end in zip(times, ends, strict=True)]
        pairs = sorted(zip(times, late, strict=True))
        self.times = [t for t, _ in pairs]
        self.late = [late for _, late in pairs]

    def between(self, start_ms: float, end_ms: float) -> float:
        """The harness's largest lateness over [start_ms, end_ms] (0 if no frame was sent)."""
        low = bisect.bisect_left(self.times, start_ms)
        high = bisect.bisect_right(self.times, end_ms)
        return max(self.late[low:high], default=0.0)

    def excuse(self, delay_ms: float, start_ms: float, end_ms: float) -> float:
        """`delay_ms` measured over [start_ms, end_ms], less what the harness was late then."""
        return max(0.0, delay_ms - self.between(start_ms, end_ms))
