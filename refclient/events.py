"""Every event constant of the VoxEngine `OpenAI` module (shared/seeds/001_*.txt), in Python.

A constant whose value is a wire event type (`session.created`, `chat.completion.chunk`) is
raised when that provider event arrives, with the event as `data`. The others are the module's
own happenings (a connection fact, an event it does not know, the media bridge): their values
are namespaced with `OpenAI.` so they can never collide with a wire type.
"""

from __future__ import annotations

from enum import StrEnum

LOCAL_PREFIX = "OpenAI."


class Events(StrEnum):
    """Media bridge events: model audio played into a call."""

    WebSocketMediaStarted = "OpenAI.WebSocketMediaStarted"
    WebSocketMediaEnded = "OpenAI.WebSocketMediaEnded"


class ChatCompletionsAPIEvents(StrEnum):
    """Chat Completions client events: the chunk, and what the SDK-style accumulator derives."""

    Unknown = "OpenAI.ChatCompletionsAPI.Unknown"
    Chunk = "chat.completion.chunk"
    Content = "content"
    ContentDelta = "content.delta"
    ContentDone = "content.done"
    RefusalDelta = "refusal.delta"
    RefusalDone = "refusal.done"
    FunctionToolCallArgumentsDelta = "tool_calls.function.arguments.delta"
    FunctionToolCallArgumentsDone = "tool_calls.function.arguments.done"
    LogProbsContentDelta = "logprobs.content.delta"
    LogProbsContentDone = "logprobs.content.done"
    LogProbsRefusalDelta = "logprobs.refusal.delta"
    LogProbsRefusalDone = "logprobs.refusal.done"
    ChatCompletionsAPIError = "OpenAI.ChatCompletionsAPI.Error"
    ConnectorInformation = "OpenAI.ChatCompletionsAPI.ConnectorInformation"


# Chat events derived from chunks by the accumulator, not sent by the provider as such.
CHAT_DERIVED_EVENTS = frozenset(ChatCompletionsAPIEvents) - {ChatCompletionsAPIEvents.Chunk}


class ResponsesAPIEvents(StrEnum):
    """Responses API stream events (provider event types) and the client's own events."""

    Unknown = "OpenAI.ResponsesAPI.Unknown"
    ResponseCodeInterpreterCallCodeDelta = "response.code_interpreter_call_code.delta"
    ResponseCodeInterpreterCallCodeDone = "response.code_interpreter_call_code.done"
    ResponseCodeInterpreterCallCompleted = "response.code_interpreter_call.completed"
    ResponseCodeInterpreterCallInProgress = "response.code_interpreter_call.in_progress"
    ResponseCodeInterpreterCallInterpreting = "response.code_interpreter_call.interpreting"
    ResponseCompleted = "response.completed"
    ResponseContentPartAdded = "response.content_part.added"
    ResponseContentPartDone = "response.content_part.done"
    ResponseCreated = "response.created"
    ResponseError = "error"
    ResponseFileSearchCallCompleted = "response.file_search_call.completed"
    ResponseFileSearchCallInProgress = "response.file_search_call.in_progress"
    ResponseFileSearchCallSearching = "response.file_search_call.searching"
    ResponseFunctionCallArgumentsDelta = "response.function_call_arguments.delta"
    ResponseFunctionCallArgumentsDone = "response.function_call_arguments.done"
    ResponseInProgress = "response.in_progress"
    ResponseFailed = "response.failed"
    ResponseIncomplete = "response.incomplete"
    ResponseOutputItemAdded = "response.output_item.added"
    ResponseOutputItemDone = "response.output_item.done"
    ResponseReasoningSummaryPartAdded = "response.reasoning_summary_part.added"
    ResponseReasoningSummaryPartDone = "response.reasoning_summary_part.done"
    ResponseReasoningSummaryTextDelta = "response.reasoning_summary_text.delta"
    ResponseReasoningSummaryTextDone = "response.reasoning_summary_text.done"
    ResponseReasoningTextDelta = "response.reasoning_text.delta"
    ResponseReasoningTextDone = "response.reasoning_text.done"
    ResponseRefusalDelta = "response.refusal.delta"
    ResponseRefusalDone = "response.refusal.done"
    ResponseTextDelta = "response.output_text.delta"
    ResponseTextDone = "response.output_text.done"
    ResponseWebSearchCallCompleted = "response.web_search_call.completed"
    ResponseWebSearchCallInProgress = "response.web_search_call.in_progress"
    ResponseWebSearchCallSearching = "response.web_search_call.searching"
    ResponseImageGenCallCompleted = "response.image_generation_call.completed"
    ResponseImageGenCallGenerating = "response.image_generation_call.generating"
    ResponseImageGenCallInProgress = "response.image_generation_call.in_progress"
    ResponseImageGenCallPartialImage = "response.image_generation_call.partial_image"
    ResponseMCPCallArgumentsDelta = "response.mcp_call_arguments.delta"
    ResponseMCPCallArgumentsDone = "response.mcp_call_arguments.done"
    ResponseMCPCallCompleted = "response.mcp_call.completed"
    ResponseMCPCallFailed = "response.mcp_call.failed"
    ResponseMCPCallInProgress = "response.mcp_call.in_progress"
    ResponseMCPListToolsCompleted = "response.mcp_list_tools.completed"
    ResponseMCPListToolsFailed = "response.mcp_list_tools.failed"
    ResponseMCPListToolsInProgress = "response.mcp_list_tools.in_progress"
    ResponseOutputTextAnnotationAdded = "response.output_text.annotation.added"
    ResponseQueued = "response.queued"
    ResponseCustomToolCallInputDelta = "response.custom_tool_call_input.delta"
    ResponseCustomToolCallInputDone = "response.custom_tool_call_input.done"
    ResponsesAPIError = "OpenAI.ResponsesAPI.Error"
    ConnectorInformation = "OpenAI.ResponsesAPI.ConnectorInformation"


class RealtimeAPIEvents(StrEnum):
    """Realtime API server events (GA names) and the client's own events."""

    Unknown = "OpenAI.RealtimeAPI.Unknown"
    HTTPResponse = "OpenAI.RealtimeAPI.HTTPResponse"
    Error = "error"
    SessionCreated = "session.created"
    SessionUpdated = "session.updated"
    ConversationItemAdded = "conversation.item.added"
    ConversationItemDone = "conversation.item.done"
    ConversationItemRetrieved = "conversation.item.retrieved"
    ConversationItemInputAudioTranscriptionCompleted = (
        "conversation.item.input_audio_transcription.completed"
    )
    ConversationItemInputAudioTranscriptionDelta = (
        "conversation.item.input_audio_transcription.delta"
    )
    ConversationItemInputAudioTranscriptionSegment = (
        "conversation.item.input_audio_transcription.segment"
    )
    ConversationItemInputAudioTranscriptionFailed = (
        "conversation.item.input_audio_transcription.failed"
    )
    ConversationItemTruncated = "conversation.item.truncated"
    ConversationItemDeleted = "conversation.item.deleted"
    InputAudioBufferCommitted = "input_audio_buffer.committed"
    InputAudioBufferCleared = "input_audio_buffer.cleared"
    InputAudioBufferSpeechStarted = "input_audio_buffer.speech_started"
    InputAudioBufferSpeechStopped = "input_audio_buffer.speech_stopped"
    InputAudioBufferTimeoutTriggered = "input_audio_buffer.timeout_triggered"
    ResponseCreated = "response.created"
    ResponseDone = "response.done"
    ResponseOutputItemAdded = "response.output_item.added"
    ResponseOutputItemDone = "response.output_item.done"
    ResponseContentPartAdded = "response.content_part.added"
    ResponseContentPartDone = "response.content_part.done"
    ResponseOutputTextDelta = "response.output_text.delta"
    ResponseOutputTextDone = "response.output_text.done"
    ResponseOutputAudioTranscriptDelta = "response.output_audio_transcript.delta"
    ResponseOutputAudioTranscriptDone = "response.output_audio_transcript.done"
    ResponseOutputAudioDone = "response.output_audio.done"
    ResponseFunctionCallArgumentsDelta = "response.function_call_arguments.delta"
    ResponseFunctionCallArgumentsDone = "response.function_call_arguments.done"
    ResponseMCPCallArgumentsDelta = "response.mcp_call_arguments.delta"
    ResponseMCPCallArgumentsDone = "response.mcp_call_arguments.done"
    ResponseMCPCallInProgress = "response.mcp_call.in_progress"
    ResponseMCPCallCompleted = "response.mcp_call.completed"
    ResponseMCPCallFailed = "response.mcp_call.failed"
    MCPListToolsInProgress = "mcp_list_tools.in_progress"
    MCPListToolsCompleted = "mcp_list_tools.completed"
    MCPListToolsFailed = "mcp_list_tools.failed"
    RateLimitsUpdated = "rate_limits.updated"
    WebSocketError = "OpenAI.RealtimeAPI.WebSocketError"
    ConnectorInformation = "OpenAI.RealtimeAPI.ConnectorInformation"


def is_provider_event(constant: StrEnum) -> bool:
    """True when the constant stands for an event the provider sends on the wire."""
    return not constant.value.startswith(LOCAL_PREFIX) and constant not in CHAT_DERIVED_EVENTS
