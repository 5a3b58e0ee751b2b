"""Facts read from the seed documents in ../shared/seeds/."""

from __future__ import annotations

import re

from tests.support.shared import require_shared

SEED_CHANNELS = "002_aa6a2b51835e8bc0.txt"
SEED_VOXENGINE = "001_a40007576c2a1f1a.txt"

# The 37 channels of the AsyncAPI provider profile (seed 002), beta event names, with the first
# words of each one-line description as the seed prints it (the seed lists descriptions only, in
# alphabetical order of the names; the test checks every description is there, in that order).
CHANNELS_37 = [
    ("conversation.created", "Emitted by the server when a new conversation is created"),
    ("conversation.item.create", "Send by the client to insert a conversation item"),
    ("conversation.item.created", "Emitted when a new conversation item has been added"),
    ("conversation.item.delete", "Send by the client to delete a conversation item by id"),
    ("conversation.item.deleted", "Emitted after the server applies a `conversation.item.delete`"),
    (
        "conversation.item.input_audio_transcription.completed",
        "Emitted when input audio transcription for a user audio item has completed",
    ),
    (
        "conversation.item.input_audio_transcription.failed",
        "Emitted when input audio transcription fails",
    ),
    ("conversation.item.truncate", "Send by the client to truncate the assistant audio"),
    (
        "conversation.item.truncated",
        "Emitted after the server applies a `conversation.item.truncate`",
    ),
    ("error", "Server-emitted error envelope"),
    ("input_audio_buffer.append", "Send by the client to append base64-encoded audio bytes"),
    ("input_audio_buffer.clear", "Send by the client to clear the input audio buffer"),
    ("input_audio_buffer.cleared", "Emitted after the server clears the input audio buffer"),
    ("input_audio_buffer.commit", "Send by the client to commit the input audio buffer"),
    ("input_audio_buffer.committed", "Emitted when the input audio buffer is committed"),
    (
        "input_audio_buffer.speech_started",
        "Emitted in server VAD mode when speech is detected starting",
    ),
    (
        "input_audio_buffer.speech_stopped",
        "Emitted in server VAD mode when speech is detected stopping",
    ),
    ("rate_limits.updated", "Emitted periodically with the current rate limit state"),
    ("response.audio.delta", "Streaming base64-encoded audio delta"),
    ("response.audio.done", "Emitted when an `audio` content part is fully generated"),
    ("response.audio_transcript.delta", "Streaming transcript delta for an `audio` content part"),
    ("response.audio_transcript.done", "Emitted when the transcript for an `audio` content part"),
    ("response.cancel", "Send by the client to cancel an in-progress response"),
    ("response.content_part.added", "Emitted when a new content part"),
    ("response.content_part.done", "Emitted when a content part on an output item is complete"),
    ("response.create", "Send by the client to instruct the model to generate a response"),
    ("response.created", "Emitted when the server begins generating a response"),
    ("response.done", "Emitted when a response has finished"),
    ("response.function_call_arguments.delta", "Streaming delta for a tool/function call's"),
    ("response.function_call_arguments.done", "Emitted when the `arguments` string for a function"),
    ("response.output_item.added", "Emitted when a new output item is added to a response"),
    ("response.output_item.done", "Emitted when an output item on a response is complete"),
    ("response.text.delta", "Streaming text delta for a `text` content part"),
    ("response.text.done", "Emitted when a `text` content part is fully generated"),
    ("session.created", "Emitted by the server immediately after the WebSocket connection"),
    ("session.update", "Send by the client to update the session's default configuration"),
    ("session.updated", "Emitted after the server applies a `session.update`"),
]


def seed_text(name: str) -> str:
    return require_shared("seeds", name).read_text(encoding="utf-8")


def voxengine_constants(group: str) -> list[str]:
    """Constant names of one event group (`RealtimeAPIEvents`, ...) as seed 001 lists them."""
    return re.findall(rf"Event constant: `{group}\.(\w+)`", seed_text(SEED_VOXENGINE))
