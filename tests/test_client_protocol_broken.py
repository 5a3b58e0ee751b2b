"""Each deliberately broken client (conformance.clients.broken) differs from the reference
protocol in exactly its one rule, shown with plain data."""

from __future__ import annotations

import pytest

from realtime_conformance.conformance.clients.broken import (
    BROKEN,
    CrashesOnUnknownEvent,
    CreateBeforeOutput,
    IgnoresSpeechStarted,
    NeverTruncates,
    NoClearOnBargeIn,
    SecondCreateWhileActive,
    TruncatesAtReceived,
)
from realtime_conformance.refclient.media.base import PlayedAudio
from realtime_conformance.rtproto.client import ClientProtocol, Intent, StopPlayout
from realtime_conformance.rtproto.client.intents import sent_events
from tests.test_client_protocol_rules import (
    SPEECH,
    audio_delta,
    call_events,
    created,
    feed,
    session,
)


def barge_in(protocol: ClientProtocol, played_ms: int = 300) -> list[Intent]:
    feed(protocol, session())
    protocol.send({"type": "response.create"})
    feed(protocol, created(), audio_delta("item_a", 480))
    intents = feed(protocol, SPEECH)
    if any(isinstance(intent, StopPlayout) for intent in intents):
        intents += protocol.playout_stopped([PlayedAudio("item_a", 0, played_ms)])
    return intents


def truncate_points(protocol: ClientProtocol) -> list[int]:
    events = sent_events(barge_in(protocol))
    return [e["audio_end_ms"] for e in events if e["type"] == "conversation.item.truncate"]


def test_the_reference_truncates_at_what_was_heard() -> None:
    assert truncate_points(ClientProtocol()) == [300]


@pytest.mark.parametrize(
    ("protocol", "points"),
    [
        (TruncatesAtReceived(), [480]),
        (NeverTruncates(), []),
        (NoClearOnBargeIn(), []),
        (IgnoresSpeechStarted(), []),
    ],
)
def test_barge_in_variants(protocol: ClientProtocol, points: list[int]) -> None:
    assert truncate_points(protocol) == points


def test_create_before_output_sends_them_in_the_wrong_order() -> None:
    protocol = CreateBeforeOutput(tool_outputs={"get_weather": "{}"})
    protocol.send({"type": "response.create"})
    types = [e["type"] for e in sent_events(feed(protocol, *call_events()))]
    assert types == ["response.create", "conversation.item.create"]


def test_second_create_while_active_sends_it() -> None:
    protocol = SecondCreateWhileActive()
    protocol.send({"type": "response.create"})
    assert len(sent_events(protocol.send({"type": "response.create"}))) == 1


def test_crashes_on_unknown_event_raises() -> None:
    with pytest.raises(RuntimeError, match="future"):
        CrashesOnUnknownEvent().receive({"type": "response.future"})


def test_every_variant_is_listed_with_its_bug() -> None:
    assert len(BROKEN) == 8
    for factory, bug in BROKEN.values():
        assert factory().name.startswith("broken:") and bug
