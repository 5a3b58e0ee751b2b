"""What the far end played of each item: the ledger's arithmetic, exact, on a given clock."""

from __future__ import annotations

from realtime_conformance.refclient.media.ledger import PlayoutLedger
from realtime_conformance.refclient.media.queue import FrameQueue
from realtime_conformance.rtproto.audio.formats import G711_ULAW
from realtime_conformance.rtproto.telephony import silence

FRAME = 160  # 20 ms of mu-law


def ledger_with(items: dict[str, int]) -> PlayoutLedger:
    ledger = PlayoutLedger(G711_ULAW)
    for item_id, ms in items.items():
        assert ledger.received(item_id, 0, ms)
    return ledger


def test_played_follows_the_clock_through_the_playing_frame() -> None:
    ledger = ledger_with({"a": 60})
    for k in range(3):
        ledger.sent(k * 0.02, [("a", FRAME)], FRAME)
    assert ledger.heard_position(0.03) == 240
    played = ledger.played("a", 0.03)
    assert played is not None and played.played_ms == 30
    assert ledger.played("a", 5.0).played_ms == 60  # type: ignore[union-attr]
    assert ledger.played("unknown", 1.0) is None


def test_a_burst_plays_at_real_time_not_at_send_time() -> None:
    ledger = ledger_with({"a": 100})
    for _ in range(5):
        ledger.sent(0.0, [("a", FRAME)], FRAME)  # all sent at once: the far end queues them
    assert ledger.played("a", 0.05).played_ms == 50  # type: ignore[union-attr]


def test_a_frame_shared_by_two_items_splits_by_bytes() -> None:
    ledger = ledger_with({"a": 10, "b": 30})
    ledger.sent(0.0, [("a", 80), ("b", 80)], FRAME)
    ledger.sent(0.02, [("b", 160)], FRAME)
    at = ledger.played  # at 15 ms: all of a (10 ms) and 5 ms of b
    assert (at("a", 0.015).played_ms, at("b", 0.015).played_ms) == (10, 5)  # type: ignore[union-attr]


def test_never_more_than_received_even_with_padding() -> None:
    ledger = ledger_with({"a": 15})
    ledger.sent(0.0, [("a", 120)], FRAME)  # 15 ms of audio, 5 ms of padding
    assert ledger.played("a", 1.0).played_ms == 15  # type: ignore[union-attr]


def test_marks_bound_the_clock_when_the_far_end_lags() -> None:
    ledger = ledger_with({"a": 100})
    for k in range(5):
        ledger.sent(k * 0.02, [("a", FRAME)], FRAME)
        if k == 1:
            ledger.mark_sent("after-40ms")
    # by the clock 90 ms are heard, but the mark after 40 ms is 50 ms overdue: at most 40
    assert ledger.played("a", 0.09).played_ms == 40  # type: ignore[union-attr]
    ledger.mark_echoed("after-40ms")
    assert ledger.played("a", 0.09).played_ms == 90  # type: ignore[union-attr]
    # an echoed mark is a floor even when the clock says less (the far end was quicker)
    ledger.mark_sent("after-100ms")
    assert ledger.played("a", 0.11).played_ms == 100  # type: ignore[union-attr]
    # in flight but not overdue: the clock is trusted
    ledger.mark_echoed("after-100ms")
    assert ledger.played("a", 0.01).played_ms == 100  # type: ignore[union-attr]


def test_clear_freezes_items_and_refuses_their_later_audio() -> None:
    ledger = ledger_with({"a": 40, "b": 500})
    ledger.sent(0.0, [("a", 320)], 320)
    ledger.sent(0.04, [("b", FRAME)], FRAME)
    ledger.mark_sent("pending")
    stopped = ledger.clear(0.05)
    assert [(p.item_id, p.played_ms) for p in stopped] == [("b", 10)]
    assert not ledger.received("b", 0, 100)
    assert ledger.received("c", 0, 20)
    ledger.mark_echoed("pending")  # echoed by the clear: proves nothing, changes nothing
    assert ledger.played("b", 9.0).played_ms == 10  # type: ignore[union-attr]
    ledger.sent(0.06, [("c", FRAME)], FRAME)
    assert ledger.played("c", 0.07).played_ms == 10  # type: ignore[union-attr]


def test_frame_queue_cuts_frames_with_their_items_and_pads_the_last() -> None:
    queue = FrameQueue(G711_ULAW, FRAME)
    queue.push("a", b"\x01" * 100)
    queue.push("b", b"\x02" * 100)
    first = queue.pop_frame()
    assert first is not None and first[1] == [("a", 100), ("b", 60)]
    second = queue.pop_frame()
    assert second is not None and second[1] == [("b", 40)]
    assert second[0] == b"\x02" * 40 + silence(G711_ULAW, 120)
    assert queue.pop_frame() is None
