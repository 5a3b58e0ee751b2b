"""A scripted reply is built as it falls due (SendQueue.feed), with the very events, ids and order
that building it whole at `response.create` gives."""

from __future__ import annotations

import base64
from typing import Any

from realtime_conformance.rtproto.scenario import parse_scenario
from realtime_conformance.rtproto.server.play import ScenarioPlayer
from realtime_conformance.rtproto.server.play.send_queue import FEED_BATCH, FIRST_BATCH
from realtime_conformance.rtproto.server.realtime.outbox import Send
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
  - when: {type: conversation.item.delete, item_id: "${last.item.id}"}
    reply: [{event: {type: conversation.item.deleted, item_id: "${event.item_id}"}}]
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


def play_mixed(*, whole: bool, delete: str | None = None) -> list[tuple[float, Event]]:
    """The mixed scenario with two overlapping replies and a fault in the first; `whole`
    settles each reply as soon as it is scheduled (what building it whole did); `delete`: an
    item the client deletes while the first reply streams."""
    player = ScenarioPlayer(parse_scenario(MIXED), seed=5)
    clock = BehaviourClock(player)

    def send(event: Event, at: float) -> None:
        clock.send(event, at)
        if whole:
            player.sender.queue.settle()

    clock.start(0.0)
    send({"type": "response.create", "event_id": "event_a"}, 1.0)
    if delete is not None:
        send({"type": "conversation.item.delete", "item_id": delete}, 1.045)
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


LISTENING = """\
id: 9.9.7
title: T
requirement: The client MUST read every event.
dialects: [ga]
pace_ms: 10
vad: true
on_start: [session.created]
expect:
  - when: {type: response.create}
    reply: [{text_response: {text: "One two three four five six seven eight nine ten."}}]
  - when: {type: vad.turn}
    reply: [{text_response: {text: "I heard you."}}, {text_response: {text: "What else?"}}]
  - when: {type: conversation.item.delete, item_id: "${last.item.id}"}
    reply: [{event: {type: conversation.item.deleted, item_id: "${event.item_id}"}}]
"""
SILENCE_20MS = base64.b64encode(bytes(960)).decode("ascii")
LOUD_20MS = base64.b64encode(
    b"".join((8000 if index % 24 < 12 else -8000).to_bytes(2, "little", signed=True)
             for index in range(480))
).decode("ascii")  # fmt: skip


def play_listening(*, whole: bool, delete: tuple[float, str] | None) -> list[tuple[float, Event]]:
    """A caller who speaks while a reply streams; then (`delete`: when, which item) deletes an
    item while the answer to that turn streams."""
    player = ScenarioPlayer(parse_scenario(LISTENING), seed=9)
    clock = BehaviourClock(player)

    def send(event: Event, at: float) -> None:
        clock.send(event, at)
        if whole:
            player.sender.queue.settle()

    clock.start(0.0)
    send({"type": "response.create"}, 1.0)
    audio = [SILENCE_20MS] * 3 + [LOUD_20MS] * 15 + [SILENCE_20MS] * 40
    for index, chunk in enumerate(audio):
        send({"type": "input_audio_buffer.append", "audio": chunk}, 1.01 + index * 0.02)
    if delete is not None:
        send({"type": "conversation.item.delete", "item_id": delete[1]}, delete[0])
    clock.run_out()
    return [(time, item.event) for time, item in clock.sent if isinstance(item, Send)]


def test_speech_and_last_expressions_during_a_reply_work_as_with_whole_replies() -> None:
    """`${last.item.id}` in a rule looks at every event scheduled, as before: here the item of
    the turn's second answer, which has not gone out yet when the delete comes."""
    plan = play_listening(whole=True, delete=None)
    created = [time for time, event in plan if event["type"] == "response.created"]
    added = [event for _, event in plan if event["type"] == "conversation.item.added"]
    delete = (created[1] + 0.035, added[-1]["item"]["id"])  # the turn's first answer streams
    lazy = play_listening(whole=False, delete=delete)
    assert lazy == play_listening(whole=True, delete=delete)
    types = [event["type"] for _, event in lazy]
    assert "input_audio_buffer.speech_started" in types
    assert types.count("response.done") == 3
    assert types[-1] == "conversation.item.deleted"


def test_a_last_expression_in_a_rule_sees_every_event_scheduled() -> None:
    """`${last.item.id}` in a `when` looks at every event scheduled, as when replies were built
    whole: at 1.045 s the first reply's text streams, and the last item it will have is the one
    its literal conversation.item.added names."""
    added = [
        event for _, event in play_mixed(whole=True) if event["type"] == "conversation.item.added"
    ]
    last_of_first_reply = added[3]["item"]["id"]
    lazy = play_mixed(whole=False, delete=last_of_first_reply)
    assert lazy == play_mixed(whole=True, delete=last_of_first_reply)
    deleted = [event for _, event in lazy if event["type"] == "conversation.item.deleted"]
    assert [event["item_id"] for event in deleted] == [last_of_first_reply]


def test_the_vad_follows_a_format_the_session_changes_to() -> None:
    """The listener reads the session's input format again only when a session event replaced
    the session: an update to G.711 mid-call is heard in G.711 from the next append on."""
    text = LISTENING + "  - when: {type: session.update}\n    reply: [session.updated]\n"
    player = ScenarioPlayer(parse_scenario(text), seed=9)
    clock = BehaviourClock(player)
    clock.start(0.0)
    clock.send({"type": "input_audio_buffer.append", "audio": SILENCE_20MS}, 0.1)
    update = {"audio": {"input": {"format": {"type": "audio/pcmu"}}}}
    clock.send({"type": "session.update", "session": update}, 0.2)
    clock.advance(0.5)
    clock.send({"type": "input_audio_buffer.append", "audio": SILENCE_20MS}, 0.5)
    formats = [note.meta["format"] for _, note in clock.notes if "format" in note.meta]
    assert formats == ["pcm16", "g711_ulaw"]
