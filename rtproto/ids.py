"""Object ids shaped like the real API's (`event_`, `item_`, `resp_`, `call_`, `sess_`, ...).

Seeded, so a recorded run can be reproduced id for id.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable

import numpy as np
from numpy.random import RandomState  # imported now: numpy loads it lazily, 9 ms

ALPHABET = string.ascii_letters + string.digits
ID_LENGTH = 21  # characters after the prefix, as in "item_CsZyRkhL9zZ8JDbVhmFxH"
_FIRST_BATCH, _LARGEST_BATCH = 256, 65_536  # characters drawn at once


class RandomText:
    """Seeded random characters of `alphabet`, drawn in batches.

    The very characters `random.Random(seed).choices(alphabet, k=...)` gives, call after call,
    at a fraction of the cost: numpy's legacy Mersenne Twister, started from the Python
    generator's state, makes the same doubles (both build one from two 32-bit outputs, a >> 5 and
    b >> 6), and `choices` picks `alphabet[floor(random() * n)]`. Exact only because the
    generator is this object's own: nothing else draws from it.
    """

    def __init__(self, seed: int | str | None, alphabet: str = ALPHABET) -> None:
        state = random.Random(seed).getstate()[1]
        self._generator = RandomState()
        key = np.array(state[:-1], dtype=np.uint32)
        self._generator.set_state(("MT19937", key, int(state[-1]), 0, 0.0))
        self._table = np.frombuffer(alphabet.encode("ascii"), dtype=np.uint8)
        self._text, self._at, self._batch = "", 0, _FIRST_BATCH

    def take(self, count: int) -> str:
        """The next `count` characters."""
        end = self._at + count
        if end > len(self._text):
            self._refill(count)
            end = self._at + count
        piece, self._at = self._text[self._at : end], end
        return piece

    def _refill(self, count: int) -> None:
        size = max(self._batch, count)
        self._batch = min(self._batch * 2, _LARGEST_BATCH)
        picks = (self._generator.random_sample(size) * len(self._table)).astype(np.intp)
        self._text = self._text[self._at :] + self._table[picks].tobytes().decode("ascii")
        self._at = 0


class IdFactory:
    def __init__(self, seed: int | str | None = None) -> None:
        self._characters = RandomText(seed)

    def new(self, prefix: str) -> str:
        return f"{prefix}_{self._characters.take(ID_LENGTH)}"

    def maker(self, prefix: str) -> Callable[[], str]:
        """`new(prefix)` as a function of nothing (the same draws), for a hot loop."""
        head, take = f"{prefix}_", self._characters.take
        return lambda: head + take(ID_LENGTH)
