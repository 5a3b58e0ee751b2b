"""The client's event methods: the VoxEngine `OpenAI.RealtimeAPIClient` methods that send one
Realtime client event (shared/seeds/001, "Client methods", named in snake_case), and the event
each sends. The reference client implements them (refclient.realtime); the conformance suite's
`call_method` step names them (conformance.drivers.base).

The seed's client has no append or commit method (`sendMediaTo` appends the call's audio and
server VAD commits); those two are listed because push-to-talk cases need a manual commit, and
the reference client has them.
"""

from __future__ import annotations

from collections.abc import Mapping

CLIENT_METHODS: Mapping[str, str] = {
    "session_update": "session.update",
    "response_create": "response.create",
    "response_cancel": "response.cancel",
    "conversation_item_create": "conversation.item.create",
    "conversation_item_delete": "conversation.item.delete",
    "conversation_item_retrieve": "conversation.item.retrieve",
    "conversation_item_truncate": "conversation.item.truncate",
    "input_audio_buffer_clear": "input_audio_buffer.clear",
    "input_audio_buffer_append": "input_audio_buffer.append",  # not in the seed's client
    "input_audio_buffer_commit": "input_audio_buffer.commit",  # not in the seed's client
}
METHOD_OF_EVENT: Mapping[str, str] = {event: name for name, event in CLIENT_METHODS.items()}
