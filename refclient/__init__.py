"""The reference client: a Python mirror of the VoxEngine `OpenAI` module and its media bridge.

client = await refclient.create_realtime_api_client(api_key=KEY, dialect="ga")
client.add_event_listener(refclient.RealtimeAPIEvents.ResponseOutputTextDelta, on_delta)
await client.session_update({"session": {"type": "realtime"}})

chat = await refclient.create_chat_completions_api_client(api_key=KEY, store_context=True)
chat.add_event_listener(refclient.ChatCompletionsAPIEvents.ContentDelta, on_text)
await chat.create_chat_completions({"model": "gpt-4o", "messages": [...]})
"""

from realtime_conformance.refclient.chat import (
    ChatCompletionsAPIClient,
    create_chat_completions_api_client,
)
from realtime_conformance.refclient.events import (
    ChatCompletionsAPIEvents,
    Events,
    RealtimeAPIEvents,
    ResponsesAPIEvents,
)
from realtime_conformance.refclient.outgoing import ClientEventError
from realtime_conformance.refclient.realtime import (
    ClientClosedError,
    RealtimeAPIClient,
    ReconnectPolicy,
    create_realtime_api_client,
)
from realtime_conformance.refclient.responses import ResponsesAPIClient, create_responses_api_client

__all__ = [
    "ChatCompletionsAPIClient",
    "ChatCompletionsAPIEvents",
    "ClientClosedError",
    "ClientEventError",
    "Events",
    "RealtimeAPIClient",
    "RealtimeAPIEvents",
    "ReconnectPolicy",
    "ResponsesAPIClient",
    "ResponsesAPIEvents",
    "create_chat_completions_api_client",
    "create_realtime_api_client",
    "create_responses_api_client",
]
