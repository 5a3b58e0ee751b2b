"""Cheap seeded ids and obfuscation give the very characters `random.Random.choices` gave."""

from __future__ import annotations

import random

import pytest

from realtime_conformance.rtproto import wire
from realtime_conformance.rtproto.ids import ALPHABET, ID_LENGTH, IdFactory, RandomText
from realtime_conformance.rtproto.server.realtime.outbox import Send, Timeline


@pytest.mark.parametrize("seed", [0, 1, "ids:7", "obfuscation-42", 2**70])
def test_ids_are_those_random_choices_made(seed: int | str) -> None:
    factory, reference = IdFactory(seed), random.Random(seed)
    for _ in range(3000):  # several batches, across the batch boundaries
        expected = "item_" + "".join(reference.choices(ALPHABET, k=ID_LENGTH))
        assert factory.new("item") == expected


def test_obfuscation_from_random_text_is_that_of_a_random_of_the_same_seed() -> None:
    text, reference = RandomText("obfuscation:3"), random.Random("obfuscation:3")
    deltas = ["Hi", " there", ",", " friend", "!", "x" * 16, "y" * 40, ""] * 200
    for delta in deltas:
        padding = wire.obfuscation(delta, text)
        assert padding == wire.obfuscation(delta, reference)
        assert (len(delta) + len(padding)) % wire.OBFUSCATION_BLOCK == 0


def test_a_request_larger_than_a_batch_is_served_whole() -> None:
    text, reference = RandomText(5), random.Random(5)
    assert text.take(3) == "".join(reference.choices(ALPHABET, k=3))
    assert text.take(200_000) == "".join(reference.choices(ALPHABET, k=200_000))


def test_timeline_keeps_scheduling_order_at_one_instant_and_cancels_by_tag() -> None:
    timeline = Timeline()
    sends = [Send({"n": n}) for n in range(5)]
    timeline.schedule(2.0, sends[0], "a")
    timeline.schedule(1.0, sends[1], "b")
    timeline.schedule(1.0, sends[2], "a")
    timeline.schedule(1.0, sends[3])
    timeline.schedule(3.0, sends[4], "b")
    assert timeline.next_deadline() == 1.0
    cancelled = timeline.cancel("b")
    assert sorted(item.event["n"] for item in cancelled if isinstance(item, Send)) == [1, 4]
    assert timeline.due(2.0) == [sends[2], sends[3], sends[0]]
    assert len(timeline) == 0
