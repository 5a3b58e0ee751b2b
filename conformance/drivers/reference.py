"""The reference client as an in-process driver: the default client under test
(refclient.driver holds it, and its command form
`python -m realtime_conformance.refclient.driver`)."""

from __future__ import annotations

from realtime_conformance.refclient.driver import ReferenceDriver

__all__ = ["ReferenceDriver", "reference"]


def reference() -> ReferenceDriver:
    """What `--client conformance.drivers.reference:reference` loads (the default)."""
    return ReferenceDriver()
