"""Errors every reference client raises (imported by the clients and the media link alike)."""

from __future__ import annotations


class ClientClosedError(RuntimeError):
    """A method was called on a client whose connection is closed."""
