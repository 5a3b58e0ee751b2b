"""The reference client as a command with a debug print left in: one stray line on stdout just
after it has said the text (`python -m tests.support.noisy_reference`). The turn itself
completes on the wire; the suite still fails the case for the broken line protocol."""

from __future__ import annotations

import asyncio
import sys

from realtime_conformance.refclient.driver import ReferenceDriver, serve, stdin_lines


class NoisyDriver(ReferenceDriver):
    async def send_text(self, text: str) -> None:
        await super().send_text(text)
        stray = "sent the text"  # after the reply: the suite is waiting on the wires by then
        asyncio.get_running_loop().call_later(0.05, lambda: print(stray, flush=True))


if __name__ == "__main__":
    asyncio.run(serve(stdin_lines(), sys.stdout, NoisyDriver()))
