"""A scripted reply is built as it falls due (SendQueue.feed), with the very events, ids and order
that building it whole at `response.create` gives."""

from __future__ import annotations

from typing import Any

from rtproto.scenario import parse_scenario
from rtproto.server.play import ScenarioPlayer
from rtproto.server.play.send_queue import FEED_BATCH, FIRST_BATCH
from rtproto.server.realtime.outbox import Send
from tests.support.virtual_clock import BehaviourClock, events

Event = dict[str, Any]
DELTAS = 5_000
LONG_TEXT = " ".join(f"w{index}" for index in range(DELTAS))
LONG_REPLY = f"""\
id: 9.9.9
title: T
requirement: The client MUST read every event.
dialects: [ga]
pace_ms: 0
on_start: [session.created]
expect:
  - when: {{type: response.create}}
    reply: [{{text_response: {{text: "{LONG_TEXT}"}}}}]
"""
MIXED = """\
id: 9.9.8
title: T
requirement: The client MUST read every event.
dialects: [ga]
pace_ms: 10
on_start: [session.created]
expect:
  - when: {type: response.create}
    times: 2
    reply:
      - text_response: {text: "Hi there, friend! How are you?"}
      - audio_response: {transcript: "Hello over there", duration_ms: 300, chunk_ms: 100}
      - function_call_response: {name: add, arguments: {"a": 1}}
      - event: {type: conversation.item.added, item: {id: "${last.item.id}"}}
  - when: {type: session.update}
    reply: [session.updated]
faults:
  - {after: response.output_text.delta, nth: 3, error: server_error}
"""


def long_player() -> tuple[ScenarioPlayer, list[int]]:
    """A player of the long reply, and a count of the events it has built (state.observe)."""
    player = ScenarioPlayer(parse_scenario(LONG_REPLY), seed=1)
    built = [0]
    observe = player.state.observe

    def counting(event: Event) -> None:
        built[0] += 1
        observe(event)

    player.state.observe = counting  # type: ignore[method-assign]
    return player, built


def test_a_long_reply_goes_out_before_it_is_built_whole() -> None:
    player, built = long_player()
    player.start(0.0)
    player.due(0.0)
    player.on_client_event({"type": "response.create"}, 1.0)
    first = [item.event for item in player.due(1.0) if isinstance(item, Send)]
    assert first[0]["type"] == "response.created"
    assert len(first) == FIRST_BATCH
    assert built[0] == 1 + FIRST_BATCH + 1  # session.created, the batch, one built ahead
    sizes = [len(player.due(1.0)) for _ in range(8)]
    assert sizes == [min(FIRST_BATCH * 2**n, FEED_BATCH) for n in range(1, 9)]
    deadline = player.next_deadline()
    assert deadline is not None
    assert deadline <= 1.0  # the rest is due: the driver calls again at once


def test_the_whole_long_reply_comes_in_batches_in_order() -> None:
    player, _ = long_player()
    clock = BehaviourClock(player)
    clock.start(0.0)
    clock.send({"type": "response.create"}, 1.0)
    clock.run_out()
    sent = events(clock.sent)
    assert len(sent) == 1 + DELTAS + 10  # session.created, the response around its deltas
    assert [event["type"] for event in sent[1:5]] == [
        "response.created",
        "response.output_item.added",
        "conversation.item.added",
        "response.content_part.added",
    ]
    deltas = [event["delta"] for event in sent if event["type"] == "response.output_text.delta"]
    assert "".join(deltas) == LONG_TEXT
    done = next(event for event in sent if event["type"] == "response.done")
    assert done["response"]["usage"]["output_token_details"]["text_tokens"] == DELTAS
    assert done["response"]["output"][0]["content"][0]["text"] == LONG_TEXT
    assert sent[-1]["type"] == "rate_limits.updated"
    assert {time for time, _ in clock.sent[1:]} == {1.0}  # unpaced: all due at once


def play_mixed(*, whole: bool) -> list[tuple[float, Event]]:
    """The mixed scenario with two overlapping replies and a fault in the first; `whole`
    settles each reply as soon as it is scheduled (what building it whole did)."""
    player = ScenarioPlayer(parse_scenario(MIXED), seed=5)
    clock = BehaviourClock(player)

    def send(event: Event, at: float) -> None:
        clock.send(event, at)
        if whole:
            player.sender.queue.settle()

    clock.start(0.0)
    send({"type": "response.create", "event_id": "event_a"}, 1.0)
    send({"type": "session.update", "session": {"instructions": "Be brief."}}, 1.2)
    send({"type": "response.create", "event_id": "event_b"}, 1.25)
    clock.run_out()
    return [(time, item.event) for time, item in clock.sent if isinstance(item, Send)]


def test_lazy_replies_send_what_whole_replies_did_id_for_id() -> None:
    lazy, whole = play_mixed(whole=False), play_mixed(whole=True)
    assert lazy == whole
    types = [event["type"] for _, event in lazy]
    assert types.count("response.done") == 6  # two replies of three responses
    assert types.index("error") == types.index("response.output_text.delta") + 3
    assert "session.updated" in types


def test_each_rate_limits_update_counts_every_response_done_before_it() -> None:
    sent = [event for _, event in play_mixed(whole=False)]
    dones = [index for index, event in enumerate(sent) if event["type"] == "response.done"]
    limits = [index for index, event in enumerate(sent) if event["type"] == "rate_limits.updated"]
    assert limits == [index + 1 for index in dones]
    totals = [sent[index]["response"]["usage"]["total_tokens"] for index in dones]
    entries = [sent[index]["rate_limits"][0] for index in limits]
    used = [entry["limit"] - entry["remaining"] for entry in entries]
    assert used == [sum(totals[: count + 1]) for count in range(len(totals))]
