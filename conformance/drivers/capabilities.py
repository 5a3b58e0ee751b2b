"""A black-box client's capabilities file (`--capabilities FILE`, YAML or JSON): what the
client can take part in, since the suite cannot ask a service it does not drive.

    name: acme-bridge                         # optional: the name reports show
    capabilities: [audio, telephony, truncation]
    dialects: [ga]                            # optional (default: ga)
    media_format: twilio                      # optional: twilio (default) or pcm16

A bare list is the `capabilities` alone. Names are those of conformance.drivers.base.CAPABILITIES;
an unknown one is an error (a typo must not silently turn cases into UNIMPLEMENTED).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from realtime_conformance.conformance.drivers.base import CAPABILITIES

DIALECTS = ("ga", "beta")
MEDIA_FORMATS = ("twilio", "pcm16")
KEYS = frozenset({"name", "capabilities", "dialects", "media_format"})
# Without a file: a telephony connector bridges the caller's audio and no more is assumed.
DEFAULT_CAPABILITIES = frozenset({"audio", "telephony"})
# The GA interface is the one the real API serves; a connector speaks one dialect.
DEFAULT_DIALECTS = ("ga",)


class CapabilitiesError(ValueError):
    """A capabilities file the suite cannot use: one line that says why."""


@dataclass(frozen=True)
class Profile:
    """What a black-box client declares of itself."""

    name: str = "connector"
    capabilities: frozenset[str] = DEFAULT_CAPABILITIES
    dialects: tuple[str, ...] = DEFAULT_DIALECTS
    media_format: str = "twilio"


def load_profile(path: Path | None) -> Profile:
    """The profile a file states (the default profile without one)."""
    if path is None:
        return Profile()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise CapabilitiesError(f"--capabilities {path}: cannot read it ({reason})") from None
    try:
        document = yaml.safe_load(text)  # JSON is YAML
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        at = f" at line {where.line + 1}" if where is not None else ""
        raise CapabilitiesError(f"--capabilities {path}: not YAML or JSON{at}") from None
    try:
        return profile_of(document)
    except CapabilitiesError as error:
        raise CapabilitiesError(f"--capabilities {path}: {error}") from None


def profile_of(document: Any) -> Profile:
    """A parsed capabilities document as a Profile; CapabilitiesError for anything wrong."""
    if isinstance(document, list):
        document = {"capabilities": document}
    if not isinstance(document, Mapping):
        raise CapabilitiesError("expected a mapping with `capabilities: [...]`, or a list")
    unknown_keys = sorted(set(map(str, document)) - KEYS)
    if unknown_keys:
        raise CapabilitiesError(f"unknown keys {unknown_keys} (known: {sorted(KEYS)})")
    capabilities = _names(document.get("capabilities"), "capabilities", CAPABILITIES)
    dialects = _names(document.get("dialects", list(DEFAULT_DIALECTS)), "dialects", DIALECTS)
    media_format = str(document.get("media_format", "twilio"))
    if media_format not in MEDIA_FORMATS:
        raise CapabilitiesError(f"media_format {media_format!r}: expected one of {MEDIA_FORMATS}")
    if not dialects:
        raise CapabilitiesError("dialects: name at least one of ga, beta")
    name = str(document.get("name") or "connector")
    ordered = tuple(d for d in DIALECTS if d in dialects)
    return Profile(name, frozenset(capabilities), ordered, media_format)


def _names(value: Any, key: str, known: Any) -> set[str]:
    if value is None:
        raise CapabilitiesError(f"`{key}` is missing")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CapabilitiesError(f"`{key}` must be a list of names")
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise CapabilitiesError(f"unknown {key} {unknown} (known: {', '.join(sorted(known))})")
    return set(value)
