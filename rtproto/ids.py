"""Object ids shaped like the real API's (`event_`, `item_`, `resp_`, `call_`, `sess_`, ...).

Seeded, so a recorded run can be reproduced id for id.
"""

from __future__ import annotations

import random
import string

ALPHABET = string.ascii_letters + string.digits
ID_LENGTH = 21  # characters after the prefix, as in "item_CsZyRkhL9zZ8JDbVhmFxH"


class IdFactory:
    def __init__(self, seed: int | str | None = None) -> None:
        self._random = random.Random(seed)

    def new(self, prefix: str) -> str:
        return f"{prefix}_" + "".join(self._random.choices(ALPHABET, k=ID_LENGTH))
