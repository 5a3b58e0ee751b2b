"""Event listeners with the VoxEngine module's semantics: a handler must be callable (refused
at once otherwise), receives the client and the event's data, and a handler that raises is
reported without breaking the client or the other handlers."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from enum import StrEnum
from typing import Any

log = logging.getLogger("refclient")
Handler = Callable[[Any, Any], Any]


class ListenerError(TypeError):
    """A handler that cannot be a handler (not callable)."""


class EventListeners:
    """Handlers by event name (an enum constant's value or a plain string)."""

    def __init__(self, on_handler_error: Callable[[str, BaseException], None]) -> None:
        self._handlers: dict[str, list[Handler]] = {}
        self._on_handler_error = on_handler_error
        self._tasks: set[asyncio.Future[Any]] = set()  # running coroutine handlers

    def add(self, event: StrEnum | str, handler: Handler) -> None:
        if not callable(handler):
            raise ListenerError(
                f"the handler for {str(event)!r} must be callable (a function taking the client "
                f"and the event's data), not {type(handler).__name__}"
            )
        self._handlers.setdefault(str(event), []).append(handler)

    def remove(self, event: StrEnum | str, handler: Handler | None = None) -> None:
        """Remove one handler, or every handler of `event` when none is given."""
        handlers = self._handlers.get(str(event), [])
        if handler is None:
            handlers.clear()
        elif handler in handlers:
            handlers.remove(handler)

    def has(self, event: StrEnum | str) -> bool:
        return bool(self._handlers.get(str(event)))

    def emit(self, event: StrEnum | str, client: Any, data: Any) -> None:
        """Call every handler of `event`; coroutines run as tasks, reported the same way."""
        name = str(event)
        for handler in list(self._handlers.get(name, [])):
            try:
                result = handler(client, data)
            except Exception as error:
                self._on_handler_error(name, error)
                continue
            if inspect.isawaitable(result):
                self._track(name, asyncio.ensure_future(result))

    def _track(self, name: str, task: asyncio.Future[Any]) -> None:
        def done(finished: asyncio.Future[Any]) -> None:
            self._tasks.discard(finished)
            error = None if finished.cancelled() else finished.exception()
            if error is not None:
                self._on_handler_error(name, error)

        self._tasks.add(task)
        task.add_done_callback(done)
