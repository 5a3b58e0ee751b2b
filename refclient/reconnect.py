"""The reconnect policy for drops and `session_expired`.

- A close the application asked for (`close()`) never reconnects.
- `session_expired` (the 60-minute limit: `error` code `session_expired`, then close 1001) ends
  the session: reported as the `error` event and `on_web_socket_close`; the client opens a new
  session only when `on_session_expired` is set, because a new session starts with an empty
  conversation and the application must decide what to carry over.
- A drop (any other close, an abort, a network error) is retried when a policy is given: up to
  `max_attempts` times, waiting `initial_delay_s` doubled each time up to `max_delay_s`. The new
  session gets the last `session.update` the client sent; the conversation, the input buffer
  and any active response are gone (the server kept none of them), which is reported as a
  `ConnectorInformation` event `{"kind": "reconnected", "attempt": N}`.
- Without a policy (the default), a drop is reported and the client is closed.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from realtime_conformance.refclient.events import RealtimeAPIEvents
from realtime_conformance.rtproto.client import ClientProtocol, Intent

log = logging.getLogger("refclient")
EXPIRED_CODE = "session_expired"


@dataclass(frozen=True)
class ReconnectPolicy:
    max_attempts: int = 3
    initial_delay_s: float = 0.5
    max_delay_s: float = 8.0
    on_session_expired: bool = False

    def delay_s(self, attempt: int) -> float:
        """The wait before reconnect attempt `attempt` (1-based)."""
        return min(self.max_delay_s, self.initial_delay_s * 2.0 ** (attempt - 1))

    def retries(self, expired: bool, attempt: int) -> bool:
        """Whether to try attempt number `attempt` after a drop (or an expiry)."""
        if expired and not self.on_session_expired:
            return False
        return attempt <= self.max_attempts


class Reconnectable(Protocol):
    protocol: ClientProtocol
    last_session_update: dict[str, Any] | None

    async def open(self) -> None: ...

    async def run_intents(self, intents: list[Intent]) -> None: ...

    def emit(self, name: Any, data: Any) -> None: ...


async def reconnect(
    connection: Reconnectable, policy: ReconnectPolicy | None, facts: dict[str, Any]
) -> bool:
    """Open a new session after a drop, as `policy` allows; True once one is open."""
    attempt = 1
    while policy is not None and policy.retries(bool(facts["expired"]), attempt):
        await asyncio.sleep(policy.delay_s(attempt))
        try:
            connection.protocol.reset()
            await connection.open()
        except (aiohttp.ClientError, OSError) as error:
            log.warning("reconnect attempt %d failed: %r", attempt, error)
            attempt += 1
            continue
        if connection.last_session_update is not None:
            update = connection.last_session_update
            await connection.run_intents(connection.protocol.send(update))
        connection.emit(
            RealtimeAPIEvents.ConnectorInformation,
            {"kind": "reconnected", "attempt": attempt, **facts},
        )
        return True
    return False
