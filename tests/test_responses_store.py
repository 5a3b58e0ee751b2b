"""Stored responses: `previous_response_id` chains, retrieval over time, resumed streams."""

from __future__ import annotations

from typing import Any

import pytest

from realtime_conformance.rtproto.api_errors import ApiError
from realtime_conformance.rtproto.server.pacing import Pacing
from realtime_conformance.rtproto.server.responses.service import ResponsesService
from tests.support.apps import NOW, ResponsesApp
from tests.support.shared import require_shared
from tests.support.streams import sdk_client, shape, trace_events
from tests.test_responses_families import CALCULATOR, FAMILIES


def service(pacing: Pacing | None = None) -> ResponsesService:
    return ResponsesService(5, pacing or Pacing.instant())


def test_a_chain_carries_the_conversation_forward() -> None:
    svc = service()
    first = svc.create({"model": "gpt-4.1", "input": "My name is Ada."}, NOW)
    second = svc.create({"model": "gpt-4.1", "input": "What is my name?",
                         "previous_response_id": first.id}, NOW + 5)  # fmt: skip
    third = svc.create({"model": "gpt-4.1", "input": "And again?",
                        "previous_response_id": second.id}, NOW + 9)  # fmt: skip
    assert second.context == tuple(first.conversation())
    assert third.conversation()[: len(second.conversation())] == second.conversation()
    tokens = [s.plan.final["usage"]["input_tokens"] for s in (first, second, third)]
    assert tokens == sorted(tokens) and len(set(tokens)) == 3
    assert third.plan.final["previous_response_id"] == second.id


def test_a_tool_result_turn_answers_with_text_as_recorded() -> None:
    svc = service()
    call = svc.create(FAMILIES["function_call"][0], NOW)
    item = call.plan.final["output"][0]
    result = {"type": "function_call_output", "call_id": item["call_id"], "output": "19"}
    answer = svc.create({"model": "gpt-4.1", "input": [result], "tools": [CALCULATOR],
                         "previous_response_id": call.id}, NOW + 1)  # fmt: skip
    assert answer.plan.final["output"][0]["content"][0]["text"] == "The tool returned: 19."
    recording = require_shared(
        "traces", "responses", "vercel-ai-openai-reasoning-encrypted-content.1.stream4of4.jsonl"
    )
    assert shape(p.event for p in answer.plan.events) == shape(trace_events(recording))


def test_store_false_responses_cannot_be_continued_over_http() -> None:
    svc = service()
    unstored = svc.create({"model": "gpt-4.1", "input": "Hi", "store": False}, NOW)
    assert unstored.id not in svc.store
    with pytest.raises(ApiError) as caught:
        svc.create({"model": "gpt-4.1", "input": "Hi", "previous_response_id": unstored.id}, NOW)
    assert caught.value.code == "previous_response_not_found"


def test_a_background_response_is_queued_then_runs_then_completes() -> None:
    svc = service(Pacing(first_output_s=0.2, token_s=0.01, tool_s=0.1, queue_s=1.0))
    stored = svc.create({"model": "gpt-4o", "input": "Count.", "background": True}, NOW)
    assert stored.first_answer()["status"] == "queued"
    assert svc.retrieve(stored.id, NOW + 0.5)["status"] == "queued"
    assert svc.retrieve(stored.id, NOW + 1.1)["status"] == "in_progress"
    done = svc.retrieve(stored.id, NOW + 60)
    assert done["status"] == "completed" and done == stored.plan.final


def test_a_resumed_stream_starts_after_the_given_sequence_number_as_recorded() -> None:
    svc = service(Pacing(first_output_s=0.2, token_s=0.01, tool_s=0.1, queue_s=1.0))
    stored = svc.create({"model": "gpt-4o", "input": "What is 2 + 2?", "background": True}, NOW)
    resumed = svc.resume(stored.id, 0, NOW + 1.0)
    assert resumed[0].event["sequence_number"] == 1
    assert [p.event for p in resumed] == [p.event for p in stored.plan.events[1:]]
    assert resumed[0].at == 0.0 and resumed[-1].at == pytest.approx(stored.plan.duration - 1.0)
    recording = require_shared(
        "traces", "responses", "pydantic-ai-test_background_mode_streaming_starting_after_vcr.jsonl"
    )
    assert shape(p.event for p in resumed) == shape(trace_events(recording))


def test_the_sdk_resumes_a_background_stream() -> None:
    client = sdk_client(ResponsesApp(service()))
    started = client.responses.create(model="gpt-4o", input="What is 2 + 2?", background=True)
    with client.responses.stream(response_id=started.id, starting_after=0) as stream:
        numbers = [event.sequence_number for event in stream]
        final = stream.get_final_response()
    assert numbers[0] == 1 and final.status == "completed" and final.id == started.id


def test_retrieving_an_unknown_response_is_404() -> None:
    with pytest.raises(ApiError) as caught:
        service().retrieve("resp_missing", NOW)
    assert caught.value.status == 404


def test_deleting_a_response_forgets_it() -> None:
    svc = service()
    stored = svc.create({"model": "gpt-4.1", "input": "Hi"}, NOW)
    deleted: dict[str, Any] = svc.store.delete(stored.id)
    assert deleted == {"id": stored.id, "object": "response.deleted", "deleted": True}
    assert stored.id not in svc.store
