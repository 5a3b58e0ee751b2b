"""The connector options, shared by `realtime-conformance run` and the pytest plugin (light:
no network code is imported to add them). conformance.drivers.connector says what they do."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from realtime_conformance.mockserver.cli_checks import non_negative

# (flag, dest, arguments): the plugin's dests take a `conformance_` prefix.
OPTIONS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    (
        "--connector-cmd",
        "connector_cmd",
        {
            "metavar": "CMD",
            "help": "a telephony connector the suite cannot drive: a service started per case "
            "with the mock's URL and key in its environment (OPENAI_BASE_URL, OPENAI_API_KEY, "
            "OPENAI_REALTIME_URL) and PORT; the virtual call dials its --media-url. {port} in "
            "CMD is that port",
        },
    ),
    (
        "--connector-url",
        "connector_url",
        {
            "metavar": "URL",
            "help": "a connector already running: its media WebSocket "
            "(ws://HOST:PORT/media-stream); "
            "start it with OPENAI_REALTIME_URL at the suite's mock (--mock-port); cases run one at "
            "a time",
        },
    ),
    (
        "--media-url",
        "media_url",
        {
            "metavar": "URL",
            "help": "with --connector-cmd: the connector's media WebSocket (default "
            "ws://127.0.0.1:{port}/media-stream: a free port per case; a fixed port runs the cases "
            "one at a time)",
        },
    ),
    (
        "--capabilities",
        "capabilities",
        {
            "type": Path,
            "metavar": "FILE",
            "help": "what the connector supports (YAML or JSON: capabilities, dialects, "
            "media_format); cases it cannot take part in are UNIMPLEMENTED",
        },
    ),
    (
        "--mock-port",
        "mock_port",
        {
            "type": non_negative(int),
            "default": 0,
            "metavar": "PORT",
            "help": "the mock's port on 127.0.0.1 (default 0: any free one); a connector started "
            "before the run (--connector-url) is given ws://127.0.0.1:PORT/v1/realtime?model=...",
        },
    ),
)


def add_connector_arguments(add: Callable[..., Any], dest_prefix: str = "") -> None:
    """Add the options with `add` (argparse's add_argument, or pytest's addoption with
    `dest_prefix="conformance_"`)."""
    for flag, dest, arguments in OPTIONS:
        add(flag, dest=dest_prefix + dest, **arguments)
