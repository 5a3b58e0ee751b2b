"""What a client in its own process learns of a case from its environment (command drivers
and connectors alike): the variable names in one place, and the mapping from `Endpoints`.

The `openai` SDKs read OPENAI_API_KEY and OPENAI_BASE_URL themselves, so an unchanged client
talks to the mock; the Realtime URL carries the case's run token in its query, so a client
that opens the Realtime WebSocket must use OPENAI_REALTIME_URL as it is (with the openai
Python SDK: `websocket_base_url`; Node: the `url` of `OpenAIRealtimeWS`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from realtime_conformance.conformance.drivers.base import Endpoints

API_KEY = "OPENAI_API_KEY"  # the key the mock accepts (a dummy: never a real one)
BASE_URL = "OPENAI_BASE_URL"  # http://127.0.0.1:PORT/v1 (Responses, Chat)
REALTIME_URL = "OPENAI_REALTIME_URL"  # ws://127.0.0.1:PORT/v1/realtime?model=...&run token
CASE = "CONFORMANCE_CASE"  # the case id, e.g. 5.1.1
DIALECT = "CONFORMANCE_DIALECT"  # ga | beta
MODEL = "CONFORMANCE_MODEL"  # the model name to ask for
MEDIA_URL = "CONFORMANCE_MEDIA_URL"  # the virtual call's media WebSocket (absent: no call)
MEDIA_FORMAT = "CONFORMANCE_MEDIA_FORMAT"  # twilio | pcm16
EXTRA = "CONFORMANCE_EXTRA"  # Endpoints.extra as a JSON object (HTTP cases: x-mock-scenario...)

ALL = (API_KEY, BASE_URL, REALTIME_URL, CASE, DIALECT, MODEL, MEDIA_URL, MEDIA_FORMAT, EXTRA)


def case_environment(endpoints: Endpoints) -> dict[str, str]:
    """The variables for one case (added to the suite's own environment)."""
    variables = {
        API_KEY: endpoints.api_key,
        BASE_URL: endpoints.http_base_url,
        REALTIME_URL: endpoints.realtime_url,
        CASE: str(endpoints.extra.get("case", "")),
        DIALECT: endpoints.dialect,
        MODEL: endpoints.model,
        MEDIA_FORMAT: endpoints.media_format,
        EXTRA: json.dumps(dict(endpoints.extra), sort_keys=True),
    }
    if endpoints.media_url:
        variables[MEDIA_URL] = endpoints.media_url
    return variables


def child_environment(inherited: Mapping[str, str], variables: Mapping[str, str]) -> dict[str, str]:
    """The suite's environment without any case variable it happens to carry, plus `variables`
    (a stale CONFORMANCE_MEDIA_URL from the caller's shell must not reach a case without one)."""
    kept = {name: value for name, value in inherited.items() if name not in ALL}
    return {**kept, **variables}
