"""Every recorded Responses and Chat stream in shared/traces replays as a scenario, and the
official SDK accumulates the same result from the replay as from the original.

The original is the recording as it was on the wire (Chat: the raw `.sse` bytes beside each
transcript; Responses: the transcript's events framed as `event:` + `data:`). The replay is a
scenario built here (`replay: {file: <the transcript>}`) played by HttpScenario, its items
framed as the HTTP driver frames them. Both go through the SDK's own SSE decoding
(`create(stream=True)` on an in-process transport) into its accumulators, constructed as the
SDK's stream helpers construct them, with no tools and no response format; what they
accumulate, or the error they raise, must be equal.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.lib.streaming.responses import ResponseStreamState

from realtime_conformance.rtproto import sse
from realtime_conformance.rtproto.catalogue import Api
from realtime_conformance.rtproto.scenario import parse_scenario
from realtime_conformance.rtproto.scenario.names import REQUEST_TYPES
from realtime_conformance.rtproto.server.play import HttpScenario
from realtime_conformance.rtproto.server.realtime.outbox import (
    Abort,
    Close,
    Outgoing,
    Send,
    SendRaw,
)
from tests.support.shared import require_shared, shared_dir
from tests.support.streams import sdk_client, sse_response
from tests.support.virtual_clock import VirtualClock

TRACES = shared_dir() / "traces"
BODIES: dict[str, dict[str, Any]] = {
    "responses": {"model": "gpt-5", "input": "Hello"},
    "chat": {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hello"}]},
}


def traces(api: str) -> list[str]:
    folder = TRACES / api
    return sorted(path.name for path in folder.glob("*.jsonl")) if folder.exists() else ["-"]


def replay_scenario(api: Api, path: Path, timing: str = "paced") -> HttpScenario:
    text = (
        "id: 9.9.1\ntitle: Replay\nrequirement: The client MUST accumulate the stream.\n"
        f"api: {api}\npace_ms: 2\nexpect:\n"
        f"  - when: {{type: {REQUEST_TYPES[api]}}}\n"
        f"    reply: [{{replay: {{file: {json.dumps(str(path))}, timing: {timing}}}}}]\n"
    )
    return HttpScenario(parse_scenario(text, "replay.yaml"), seed=1)


def play(stream_of: HttpScenario, api: str) -> list[tuple[float, Outgoing]]:
    stream = stream_of.open(BODIES[api], 100.0)
    sent = VirtualClock(stream).run_out()
    assert stream.finished
    return sent


def frame(item: Outgoing, api: str) -> bytes:
    """How the HTTP driver writes one item (the lead's `sse_frames`, as the contract says)."""
    if isinstance(item, Send):
        return sse.encode_event(item.event) if api == "responses" else sse.encode_data(item.event)
    if isinstance(item, SendRaw):
        text = item.data if isinstance(item.data, str) else item.data.decode()
        return f"data: {text}\n\n".encode()
    return b""  # Close / Abort end the body


def original_bytes(api: str, path: Path) -> bytes:
    if api == "chat":
        return path.with_suffix(".sse").read_bytes()
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return b"".join(sse.encode_event(record["event"]) for record in records if "event" in record)


def outcome(run: Callable[[], Any]) -> Any:
    """What an accumulation came to: its result, or the error it raised."""
    try:
        return ("result", run())
    except Exception as error:  # the SDK raises several kinds; each must match the original's
        return ("error", type(error).__name__, str(error))


def accumulate_responses(body: bytes) -> Any:
    """How far the SDK's accumulator got, and every event it handed the application (each
    carries the accumulation so far: text snapshots, the completed Response)."""
    client = sdk_client(lambda request: sse_response(body))
    state: ResponseStreamState[Any] = ResponseStreamState(
        input_tools=openai.omit, text_format=openai.omit
    )
    handed: list[dict[str, Any]] = []

    def run() -> None:
        for event in client.responses.create(stream=True, **BODIES["responses"]):
            handed.extend(out.model_dump(warnings=False) for out in state.handle_event(event))

    return outcome(run), handed


def accumulate_chat(body: bytes) -> Any:
    client = sdk_client(lambda request: sse_response(body))
    state: ChatCompletionStreamState[Any] = ChatCompletionStreamState()

    def run() -> None:
        for chunk in client.chat.completions.create(stream=True, **BODIES["chat"]):
            state.handle_chunk(chunk)

    streamed = outcome(run)
    final = outcome(lambda: state.get_final_completion().model_dump(warnings=False))
    return streamed, state.current_completion_snapshot.model_dump(warnings=False), final


ACCUMULATE = {"responses": accumulate_responses, "chat": accumulate_chat}


# The SDK serializes recorded hosted-tool items its 3.54 types do not know (web search `api`
# sources): pydantic warns from inside the accumulator, for the original as for the replay.
@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")
@pytest.mark.parametrize(
    ("api", "name"), [(api, name) for api in ("responses", "chat") for name in traces(api)]
)
def test_the_sdk_accumulates_the_same_from_the_replay_as_from_the_original(
    api: Api, name: str
) -> None:
    path = require_shared("traces", api, name)
    sent = play(replay_scenario(api, path), api)
    replayed = b"".join(frame(item, api) for _, item in sent)
    assert ACCUMULATE[api](replayed) == ACCUMULATE[api](original_bytes(api, path))
    assert messages(replayed) == messages(original_bytes(api, path))  # [DONE] included


def messages(body: bytes) -> list[tuple[str | None, Any]]:
    """The SSE messages of a body: event name and data (JSON as values: `-3.4e-6` is the
    number Python writes `-3.4e-06`)."""
    parsed = sse.parse_stream([body])
    return [(m.event, m.data if m.is_done else m.json()) for m in parsed]


@pytest.mark.parametrize("name", traces("responses"))
def test_a_responses_replay_keeps_every_recorded_event_and_ends_after_it(name: str) -> None:
    path = require_shared("traces", "responses", name)
    sent = play(replay_scenario("responses", path), "responses")
    recorded = [json.loads(line)["event"] for line in path.read_text(encoding="utf-8").splitlines()]
    assert [item.event for _, item in sent[:-1] if isinstance(item, Send)] == recorded
    assert isinstance(sent[-1][1], Close) and not any(isinstance(i, Abort) for _, i in sent)


def test_a_paced_replay_spaces_the_events_by_pace_ms() -> None:
    path = require_shared("traces", "chat", "openai-python-max-tokens-length.4cc50a6135d2.jsonl")
    sent = play(replay_scenario("chat", path), "chat")
    times = [round(at - 100.0, 6) for at, _ in sent]
    # 4 chunks and [DONE] 2 ms apart; the end of the stream with the last of them
    assert times == [0.0, 0.002, 0.004, 0.006, 0.008, 0.008]


def test_recorded_timing_keeps_the_transcripts_gaps(tmp_path: Path) -> None:
    def line(t_ms: int | None, event_type: str, number: int) -> dict[str, Any]:
        event = {"type": event_type, "sequence_number": number}
        return {"dir": "server", "event": event} | ({"t_ms": t_ms} if t_ms else {})

    lines = [
        line(1000, "response.created", 0),
        {"dir": "meta", "t_ms": 1005, "meta": {"kind": "ping", "from": "server"}},
        line(1250, "response.in_progress", 1),
        line(None, "response.queued", 2),
        line(1400, "response.queued", 3),
    ]
    path = tmp_path / "timed.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")

    def offsets(scenario: HttpScenario) -> list[float]:
        return [round(at - 100.0, 6) for at, _ in play(scenario, "responses")]

    recorded = offsets(replay_scenario("responses", path, "recorded"))
    paced = offsets(replay_scenario("responses", path))
    # 250 ms as recorded; pace (2 ms) into and out of the line without a time
    assert recorded == [0.0, 0.25, 0.252, 0.254, 0.254]
    assert paced == [0.0, 0.002, 0.004, 0.006, 0.006]


def test_a_replay_ends_where_the_recording_ends() -> None:
    path = require_shared("traces", "responses", "vercel-ai-openai-error.1.jsonl")
    sent = play(replay_scenario("responses", path), "responses")
    body = b"".join(frame(item, "responses") for _, item in sent)
    kinds = [message.event for message in sse.parse_stream([body])]
    assert kinds == ["response.created", "response.in_progress", "error", "response.failed"]
    assert sent[-1][1] == Close(1000, "end of stream")
