"""When the simulated server answers, how the session ends, and that a seed replays exactly."""

from __future__ import annotations

import itertools

import pytest

from realtime_conformance.rtproto.server.realtime.outbox import Close, Send
from realtime_conformance.rtproto.server.realtime.session import SessionLimits
from realtime_conformance.rtproto.server.realtime.timing import Timing
from tests.support.engine import EngineDriver, session_update, user_text

REAL = Timing.realistic()


def first_time(driver: EngineDriver, event_type: str) -> float:
    return next(at for at, event in driver.timed if event["type"].startswith(event_type))


def test_realistic_delays_are_those_of_the_capture() -> None:
    driver = EngineDriver(timing=REAL, start_at=100.0)
    driver.advance(100.01)
    assert first_time(driver, "session.created") == pytest.approx(100.002, abs=1e-9)
    driver.send(session_update(output_modalities=["text"]), at=101.0)
    driver.send(user_text("hello"), at=102.0)
    driver.send({"type": "response.create"}, at=103.0)
    driver.settle()
    assert first_time(driver, "session.updated") == pytest.approx(101.26, abs=1e-9)
    assert first_time(driver, "conversation.item.added") == pytest.approx(102.27, abs=1e-9)
    created = first_time(driver, "response.created")
    assert created == pytest.approx(103.28, abs=1e-9)
    assert first_time(driver, "response.output_text.delta") == pytest.approx(
        created + 0.2, abs=1e-9
    )
    done = first_time(driver, "response.done")
    assert first_time(driver, "rate_limits.updated") == pytest.approx(done + 0.04, abs=1e-9)


def test_text_streams_at_its_token_rate() -> None:
    driver = EngineDriver(timing=REAL)
    driver.send({"type": "response.create", "response": {"output_modalities": ["text"]}})
    driver.settle()
    times = [at for at, e in driver.timed if e["type"] == "response.output_text.delta"]
    gaps = {round(b - a, 9) for a, b in itertools.pairwise(times)}
    assert gaps == {round(1 / REAL.text_tokens_per_s, 9)}


def test_audio_is_generated_faster_than_it_plays() -> None:
    driver = EngineDriver(timing=REAL)
    driver.send({"type": "response.create"})
    driver.settle()
    times = [at for at, e in driver.timed if e["type"] == "response.output_audio.delta"]
    audio_s = len(times) * 0.1
    assert times[-1] - times[0] == pytest.approx((audio_s - 0.1) / REAL.audio_speed, abs=1e-9)


def test_errors_come_after_the_error_delay() -> None:
    driver = EngineDriver(timing=REAL)
    driver.send({"type": "nope"}, at=5.0)
    driver.settle()
    assert first_time(driver, "error") == pytest.approx(5.26, abs=1e-9)


def test_the_session_expires_after_its_limit() -> None:
    driver = EngineDriver(timing=REAL, start_at=10.0)
    driver.send({"type": "response.create"}, at=3609.9)  # would still be running at 3610
    driver.advance(3700.0)
    last_event, close = driver.sent[-2][1], driver.sent[-1][1]
    assert isinstance(last_event, Send) and isinstance(close, Close)
    assert driver.sent[-1][0] == 3610.0
    assert last_event.event["error"] == {
        "type": "invalid_request_error",
        "code": "session_expired",
        "message": "Your session hit the maximum duration of 60 minutes.",
        "param": None,
        "event_id": None,
    }
    assert (close.code, close.reason) == (1001, "invalid_request_error.session_expired")
    assert "response.done" not in driver.types()
    assert driver.session.next_deadline() is None
    driver.send({"type": "response.create"})
    driver.settle()
    assert driver.sent[-1][1] is close


def test_a_shorter_limit_is_honoured() -> None:
    driver = EngineDriver(limits=SessionLimits(max_duration_s=120))
    driver.advance(119.9)
    assert driver.types() == ["session.created"]
    driver.advance(120)
    assert driver.errors()[0]["message"] == "Your session hit the maximum duration of 2 minutes."


def test_nothing_goes_out_after_the_client_left() -> None:
    driver = EngineDriver(timing=REAL)
    driver.send({"type": "response.create"})
    driver.advance(0.1)
    driver.session.on_client_closed(0.1)
    driver.settle()
    assert driver.types() == ["session.created"]


def test_session_close_closes_normally() -> None:
    driver = EngineDriver()
    driver.send({"type": "session.close"})
    assert isinstance(driver.sent[-1][1], Close)
    assert driver.sent[-1][1].code == 1000


def script(driver: EngineDriver) -> list[tuple[float, dict[str, object]]]:
    driver.send(session_update(tools=[]), at=0.5)
    driver.send(user_text("hello"), at=1.0)
    driver.send({"type": "response.create"}, at=1.1)
    driver.send({"type": "response.cancel"}, at=1.8)
    driver.send({"type": "response.create", "response": {"output_modalities": ["text"]}}, at=3)
    driver.settle()
    return driver.timed


def test_the_same_seed_replays_event_for_event() -> None:
    first = script(EngineDriver(timing=REAL, seed=42))
    again = script(EngineDriver(timing=REAL, seed=42))
    other = script(EngineDriver(timing=REAL, seed=43))
    assert first == again
    assert [e for _, e in first] != [e for _, e in other]
    assert [e["type"] for _, e in first] == [e["type"] for _, e in again]
