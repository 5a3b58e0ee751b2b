"""The simulated model builds a response's events as they fall due (outbox.Timeline.feed), with
the very events, ids, times and order that building it whole at `response.create` gives."""

from __future__ import annotations

import base64
import math
import struct
from typing import Any

import pytest

from realtime_conformance.rtproto.server.realtime.outbox import (
    FEED_BATCH,
    FIRST_BATCH,
    Outgoing,
    Send,
)
from realtime_conformance.rtproto.server.realtime.response import ResponseRun
from realtime_conformance.rtproto.server.realtime.response_output import fit, token_cost
from realtime_conformance.rtproto.server.realtime.session import RealtimeSession, SessionOptions
from realtime_conformance.rtproto.server.realtime.simulated_model import (
    FunctionCallPlan,
    PlannedItem,
    ReplyPlanner,
    message,
)
from realtime_conformance.rtproto.server.realtime.timing import AudioDelivery, Timing

Event = dict[str, Any]
WORDS = 5_000
ASK = {
    "type": "conversation.item.create",
    "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
}
TEXT_ONLY = {"type": "response.create", "response": {"output_modalities": ["text"]}}


class LongPlanner(ReplyPlanner):
    """Answers every turn with a message of `words` words, and a function call after it."""

    def __init__(self, words: int) -> None:
        super().__init__(3)
        self.words = words

    def answer(self, context: Any, tools: Any, tool_choice: Any) -> list[PlannedItem]:
        call = FunctionCallPlan("add", ('{"', "a", '":', "1", "}"))
        return [message(" ".join(f"w{k}." for k in range(self.words))), call]


def long_session(timing: Timing, words: int = WORDS) -> RealtimeSession:
    session = RealtimeSession(SessionOptions(timing=timing, seed=3))
    session.responder.brain = LongPlanner(words)
    session.start(0.0)
    session.due(0.0)
    return session


def the_run(session: RealtimeSession) -> ResponseRun:
    (run,) = session.responder.runs.values()
    return run


def test_the_first_events_of_a_long_reply_go_out_before_it_is_built() -> None:
    session = long_session(Timing.instant())
    session.on_client_event(TEXT_ONLY, 1.0)
    run = the_run(session)
    first = [item.event["type"] for item in session.due(1.0) if isinstance(item, Send)]
    assert first[0] == "response.created"
    assert len(first) == FIRST_BATCH
    assert len(run.steps) == FIRST_BATCH + 1  # the batch, and one built ahead
    sizes = [len(session.due(1.0)) for _ in range(8)]
    assert sizes == [min(FIRST_BATCH * 2**n, FEED_BATCH) for n in range(1, 9)]
    assert len(run.steps) == sum(sizes) + FIRST_BATCH + 1 < WORDS
    deadline = session.next_deadline()
    assert deadline is not None
    assert deadline <= 1.0  # the rest is due: the driver calls again at once


def test_a_reply_due_later_is_not_built_before_its_first_event_is_due() -> None:
    session = long_session(Timing.realistic())
    session.on_client_event(TEXT_ONLY, 1.0)
    run = the_run(session)
    assert len(run.steps) == 1  # response.created, due 280 ms later, built ahead
    assert run.done_at > 1.0 + WORDS / Timing.realistic().text_tokens_per_s  # known unbuilt


def tone(ms: int, loud: bool) -> str:
    samples = (int(8000 * math.sin(i / 8)) if loud else 0 for i in range(24 * ms))
    return base64.b64encode(b"".join(struct.pack("<h", s) for s in samples)).decode()


def script() -> list[tuple[float, Event]]:
    """A call: a question, replies with events mid-reply (an update, a bad event, an
    out-of-band reply, a cancel), then speech, silence (a VAD turn) and a barge-in."""
    events: list[tuple[float, Event]] = [
        (0.01, ASK),
        (0.5, TEXT_ONLY),  # its deltas from 0.98 s, 150 a second
        (1.0, {"type": "bogus"}),
        (1.03, {"type": "session.update", "session": {"type": "realtime", "instructions": "x"}}),
        (1.05, {"type": "response.create", "response": {"conversation": "none"}}),
        (2.0, {"type": "response.create"}),  # audio from 2.48 s, four times real time
        (2.6, {"type": "response.cancel"}),
    ]
    for k in range(200):  # 20 ms appends: speech from 4.4 s to 5.2 s and from 6.2 s to 7 s
        loud = 20 <= k < 60 or 110 <= k < 150
        append = {"type": "input_audio_buffer.append", "audio": tone(20, loud)}
        events.append((4 + k * 0.02, append))
    return events


class WholeSession(RealtimeSession):
    """Builds each response whole as it is created, as the simulated model used to."""

    def on_client_event(self, event: Event, now: float) -> None:
        super().on_client_event(event, now)
        self.timeline.settle()


def play(session: RealtimeSession, horizon: float = 9.0) -> list[tuple[float, Outgoing]]:
    """Events in at their times, every 5 ms `due` until nothing more is due (as a pump)."""
    session.start(0.0)
    sent, pending, now = [], script(), 0.0
    while now < horizon:
        while pending and pending[0][0] <= now:
            session.on_client_event(pending.pop(0)[1], now)
        while True:
            sent += [(now, item) for item in session.due(now)]
            deadline = session.next_deadline()
            if deadline is None or deadline > now:
                break
        now = round(now + 0.005, 6)
    return sent


@pytest.mark.parametrize("delivery", [AudioDelivery.burst(), AudioDelivery.realtime()])
def test_lazy_responses_send_what_whole_ones_send(delivery: AudioDelivery) -> None:
    options = SessionOptions(timing=Timing.realistic(), seed=5, audio_delivery=delivery)
    lazy, whole = play(RealtimeSession(options)), play(WholeSession(options))
    kinds = {item.event["type"] for _, item in lazy if isinstance(item, Send)}
    assert {"error", "session.updated", "input_audio_buffer.speech_started"} <= kinds
    assert (
        sum(
            t == "response.done"
            for t in (i.event.get("type") for _, i in lazy if isinstance(i, Send))
        )
        >= 4
    )
    assert lazy == whole


@pytest.mark.parametrize("timing", [Timing.realistic(), Timing.instant()])
def test_the_times_known_before_building_are_the_built_ones(timing: Timing) -> None:
    for modalities in (["text"], ["audio"]):
        session = long_session(timing, words=300)
        session.on_client_event(
            {"type": "response.create", "response": {"output_modalities": modalities}}, 1.0
        )
        run = the_run(session)
        planned_done = run.done_at
        session.timeline.settle()
        built = {step.kind: step.at for step in run.steps}
        assert built["done"] == planned_done
        audio = [(step.at, step.audio_ms) for step in run.steps if step.kind == "audio"]
        entry = session.conversation.get(run.items[0].item_id)
        assert entry is not None
        assert (entry.audio.sent if entry.audio else []) == audio


def quadratic_fit(tokens: tuple[str, ...], audio: bool, budget: float) -> Any:
    """`fit` as it was written before it tracked the first spoken word (re-joining)."""
    kept: list[str] = []
    for token in tokens:
        cost = token_cost(token, audio, first=not "".join(kept).strip())
        if cost > budget:
            break
        kept.append(token)
        budget -= cost
    return kept, budget


@pytest.mark.parametrize("budget", [0, 1, 3, 7, 40, math.inf])
def test_fitting_tokens_to_a_budget_is_as_before(budget: float) -> None:
    tokens = (" ", "\n", "Hi", " there", ",", " ", " friend", "!", " How", "'s", " it")
    for audio in (False, True):
        assert fit(tokens, audio, budget) == quadratic_fit(tokens, audio, budget)
