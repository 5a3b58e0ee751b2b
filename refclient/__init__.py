"""The reference client: a Python mirror of the VoxEngine `OpenAI` module and its media bridge.

client = await refclient.create_realtime_api_client(api_key=KEY, dialect="ga")
client.add_event_listener(refclient.RealtimeAPIEvents.ResponseOutputTextDelta, on_delta)
await client.session_update({"session": {"type": "realtime"}})
"""

from refclient.events import (
    ChatCompletionsAPIEvents,
    Events,
    RealtimeAPIEvents,
    ResponsesAPIEvents,
)
from refclient.outgoing import ClientEventError
from refclient.realtime import (
    ClientClosedError,
    RealtimeAPIClient,
    ReconnectPolicy,
    create_realtime_api_client,
)

__all__ = [
    "ChatCompletionsAPIEvents",
    "ClientClosedError",
    "ClientEventError",
    "Events",
    "RealtimeAPIClient",
    "RealtimeAPIEvents",
    "ReconnectPolicy",
    "ResponsesAPIEvents",
    "create_realtime_api_client",
]
