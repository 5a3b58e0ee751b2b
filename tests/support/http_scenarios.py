"""Scripted Responses and Chat scenarios, and the requests that play them: for the tests of the
HTTP scenario player and of the judgement of its transcripts."""

from __future__ import annotations

RESPONSES_TEXT = """\
id: 9.2.1
title: Scripted Responses text answer
requirement: The client MUST assemble the streamed text.
api: responses
delay_ms: 100
pace_ms: 10
expect:
  - when: {type: response.create, model: {regex: "^gpt-5"}, stream: true}
    reply:
      - event: {type: response.created, response: &created {id: resp_1, object: response,
          created_at: 1767225600, status: in_progress, model: "${event.model}", output: [],
          parallel_tool_calls: true, tool_choice: auto, tools: [], usage: null}}
      - event: {type: response.in_progress, response: *created}
      - event: {type: response.output_item.added, output_index: 0, item: {id: msg_1,
          type: message, status: in_progress, role: assistant, content: []}}
      - event: {type: response.content_part.added, item_id: msg_1, output_index: 0,
          content_index: 0, part: {type: output_text, text: "", annotations: []}}
      - event: {type: response.output_text.delta, item_id: msg_1, output_index: 0,
          content_index: 0, delta: Hi, logprobs: []}
      - event: {type: response.output_text.delta, item_id: msg_1, output_index: 0,
          content_index: 0, delta: " there", logprobs: []}
      - event: {type: response.output_text.done, item_id: msg_1, output_index: 0,
          content_index: 0, text: Hi there, logprobs: []}
      - event: {type: response.content_part.done, item_id: msg_1, output_index: 0,
          content_index: 0, part: &part {type: output_text, text: Hi there, annotations: []}}
      - event: {type: response.output_item.done, output_index: 0, item: &message {id: msg_1,
          type: message, status: completed, role: assistant, content: [*part]}}
      - event: {type: response.completed, response: {<<: *created, status: completed,
          output: [*message], usage: {input_tokens: 5, output_tokens: 2, total_tokens: 7,
          input_tokens_details: {cached_tokens: 0, cache_write_tokens: 0},
          output_tokens_details: {reasoning_tokens: 0}}}}
"""
CHAT_HEAD = """\
id: 9.3.1
title: Scripted Chat turns
requirement: The client MUST send the tool's result back, then show the answer.
api: chat
ordered: true
pace_ms: 5
"""
ROLE = "{index: 0, delta: {role: assistant, content: null}, logprobs: null, finish_reason: null}"
CHAT_TURNS = (
    CHAT_HEAD
    + f"""\
expect:
  - when: {{type: chat.completions.create, messages.0.role: user}}
    times: once
    reply:
      - event: {{choices: [{ROLE}]}}
      - event: {{choices: [{{index: 0, delta: {{tool_calls: [{{index: 0, id: call_1,
          type: function, function: {{name: get_weather, arguments: ""}}}}]}},
          logprobs: null, finish_reason: null}}]}}
      - event: {{choices: [{{index: 0, delta: {{tool_calls: [{{index: 0, function: {{
          arguments: "{{\\"city\\":\\"Paris\\"}}"}}}}]}}, logprobs: null, finish_reason: null}}]}}
      - event: {{choices: [{{index: 0, delta: {{}}, logprobs: null, finish_reason: tool_calls}}]}}
  - when: {{type: chat.completions.create, messages.2.role: tool, messages.2.tool_call_id: call_1}}
    times: once
    reply:
      - event: {{id: chatcmpl-given, system_fingerprint: fp_1, choices: [{{index: 0,
          delta: {{role: assistant, content: "", refusal: null}}, logprobs: null,
          finish_reason: null}}]}}
      - event: {{choices: [{{index: 0, delta: {{content: 18 degrees}}, logprobs: null,
          finish_reason: null}}]}}
      - event: {{choices: [{{index: 0, delta: {{}}, logprobs: null, finish_reason: stop}}]}}
"""
)
USER = {"role": "user", "content": "Weather in Paris?"}
CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
FIRST = {"model": "gpt-4o", "stream": True, "messages": [USER]}
SECOND = {
    "model": "gpt-4o",
    "stream": True,
    "messages": [
        USER,
        {"role": "assistant", "content": None, "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
    ],
}
