"""`serve`'s limits: what one client may cost the server (mockserver.guard enforces them).

Only the flags given reach ServerOptions; the rest keep its defaults, their one home.
"""

from __future__ import annotations

import argparse
from typing import Any


def positive_int(text: str) -> int:
    """A count or a size in bytes, at least 1 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def positive_seconds(text: str) -> float:
    """A duration in seconds, above 0 (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, not {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, not {text}")
    return value


def add_limit_arguments(parser: argparse.ArgumentParser) -> None:
    """What one client may cost the server (defaults: mockserver.options.ServerOptions)."""
    limits = parser.add_argument_group("limits (UNVERIFIED where the real API's are unpublished)")
    limits.add_argument(
        "--max-frame-bytes",
        type=positive_int,
        metavar="N",
        help="largest WebSocket message; a bigger one is closed with 1009 (default 32 MiB: "
        "the real API's 15 MiB of audio per append, base64'd, fits)",
    )
    limits.add_argument(
        "--max-body-bytes",
        type=positive_int,
        metavar="N",
        help="largest HTTP request body; a bigger one gets a 413 (default 32 MiB)",
    )
    limits.add_argument(
        "--max-connections",
        type=positive_int,
        metavar="N",
        help="requests and WebSocket connections served at once; more get a 429 (default 1000)",
    )
    limits.add_argument(
        "--header-timeout",
        type=positive_seconds,
        metavar="SECONDS",
        help="close a connection that has not sent a complete request by then (default 60)",
    )
    limits.add_argument(
        "--records-kept",
        type=positive_int,
        metavar="N",
        help="records of recent connections kept for the control API (default 1000)",
    )
    limits.add_argument(
        "--transcript-cap-bytes",
        type=positive_int,
        metavar="N",
        help="in-memory transcript size per connection; past it a meta line marks the cut and "
        "the rest goes to the --record file only (default 16 MiB, ~3 minutes of audio call)",
    )


def limits_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The limits given on the command line (the rest keep ServerOptions' defaults)."""
    given = {
        "max_message_bytes": args.max_frame_bytes,
        "max_body_bytes": args.max_body_bytes,
        "max_connections": args.max_connections,
        "header_timeout_s": args.header_timeout,
        "connections_kept": args.records_kept,
        "transcript_cap_bytes": args.transcript_cap_bytes,
    }
    return {name: value for name, value in given.items() if value is not None}
