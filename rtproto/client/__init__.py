"""The Realtime client protocol, sans I/O: what a correct client does, as data in and intents out.

    protocol = ClientProtocol(tool_outputs={"get_weather": '{"temp_c": 18}'})
    for intent in protocol.receive(ga_server_event):   # beta: rtproto.dialects.to_ga first
        ...   # SendEvent -> validate, translate, send; PlayAudio -> bridge.enqueue;
              # StopPlayout -> played = bridge.clear(); protocol.playout_stopped(played)
    protocol.send({"type": "response.create"})          # queued while a response is active

The rules (truncate at the audio played, never past what was received; stop playout and, when
the server will not, cancel on barge-in; answer each function call once, then one
`response.create`; one response at a time; tolerate unknown events) are the overridable methods
of `ClientRules` (rtproto.client.rules), each documented where it is decided. The reference
client (refclient.realtime) is the aiohttp pump around this protocol.
"""

from realtime_conformance.rtproto.client.intents import (
    Intent,
    Notice,
    PlayAudio,
    Played,
    SendEvent,
    StopPlayout,
)
from realtime_conformance.rtproto.client.protocol import ClientProtocol, ClientRuleError
from realtime_conformance.rtproto.client.rules import ClientRules
from realtime_conformance.rtproto.client.shapes import known_server_types
from realtime_conformance.rtproto.client.state import ClientState

__all__ = [
    "ClientProtocol",
    "ClientRuleError",
    "ClientRules",
    "ClientState",
    "Intent",
    "Notice",
    "PlayAudio",
    "Played",
    "SendEvent",
    "StopPlayout",
    "known_server_types",
]
