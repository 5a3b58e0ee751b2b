"""The reference client's small parts, without a network: the URL and headers, privacy
redaction, the reconnect policy, listeners, and the checks before sending."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from realtime_conformance.refclient.endpoint import handshake_headers, realtime_url
from realtime_conformance.refclient.listeners import EventListeners, ListenerError
from realtime_conformance.refclient.outgoing import (
    ClientEventError,
    base64_size,
    base64_text,
    build,
    for_wire,
)
from realtime_conformance.refclient.privacy import redact
from realtime_conformance.refclient.reconnect import ReconnectPolicy


@pytest.mark.parametrize(
    ("base", "url"),
    [
        ("https://api.openai.com/", "wss://api.openai.com/v1/realtime?model=gpt-realtime"),
        ("http://127.0.0.1:8080/v1", "ws://127.0.0.1:8080/v1/realtime?model=gpt-realtime"),
        (
            "ws://h/v1/realtime?scenario=5.1.1",
            "ws://h/v1/realtime?scenario=5.1.1&model=gpt-realtime",
        ),
        ("ws://h/v1/realtime?model=m2", "ws://h/v1/realtime?model=m2"),
    ],
)
def test_the_realtime_url_from_any_base(base: str, url: str) -> None:
    assert realtime_url(base, "gpt-realtime") == url


def test_bad_bases_dialects_and_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="ftp"):
        realtime_url("ftp://x", "m")
    with pytest.raises(ValueError, match="dialect"):
        handshake_headers("sk-x", "preview")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="api_key"):
        handshake_headers("", "ga")
    assert handshake_headers("sk-x", "beta")["OpenAI-Beta"] == "realtime=v1"
    assert "OpenAI-Beta" not in handshake_headers("sk-x", "ga")


def test_privacy_redacts_audio_and_words_but_keeps_the_shape() -> None:
    event = {
        "type": "response.output_audio_transcript.delta",
        "delta": "secret words",
        "item_id": "item_1",
        "session": {"instructions": "be kind", "voice": "alloy"},
        "output": [{"content": [{"type": "output_text", "text": "hi"}]}],
    }
    shown = redact(event)
    assert shown["delta"] == "<redacted 12 chars>" and shown["item_id"] == "item_1"
    assert shown["session"] == {"instructions": "<redacted 7 chars>", "voice": "alloy"}
    assert shown["output"][0]["content"][0] == {"type": "output_text", "text": "<redacted 2 chars>"}


def test_the_reconnect_policy_backs_off_and_respects_expiry() -> None:
    policy = ReconnectPolicy(max_attempts=4, initial_delay_s=0.5, max_delay_s=2.0)
    assert [policy.delay_s(n) for n in range(1, 5)] == [0.5, 1.0, 2.0, 2.0]
    assert policy.retries(False, 4) and not policy.retries(False, 5)
    assert not policy.retries(True, 1)
    assert ReconnectPolicy(on_session_expired=True).retries(True, 1)


def test_listeners_refuse_non_callables_and_survive_a_raising_handler() -> None:
    failures: list[tuple[str, BaseException]] = []
    listeners = EventListeners(lambda name, error: failures.append((name, error)))
    heard: list[Any] = []
    with pytest.raises(ListenerError, match=r"callable.*int"):
        listeners.add("response.done", 3)  # type: ignore[arg-type]

    def boom(client: Any, data: Any) -> None:
        raise ValueError("boom")

    listeners.add("response.done", boom)
    listeners.add("response.done", lambda client, data: heard.append(data))
    listeners.emit("response.done", None, {"n": 1})
    assert heard == [{"n": 1}] and failures[0][0] == "response.done"
    listeners.remove("response.done", boom)
    listeners.emit("response.done", None, {"n": 2})
    assert len(failures) == 1 and heard[-1] == {"n": 2}


def test_a_coroutine_handler_that_raises_is_reported_too() -> None:
    failures: list[str] = []
    listeners = EventListeners(lambda name, error: failures.append(f"{name}: {error}"))

    async def late(client: Any, data: Any) -> None:
        raise RuntimeError("later")

    async def body() -> None:
        listeners.add("x", late)
        listeners.emit("x", None, None)
        while not failures:
            await asyncio.sleep(0)

    asyncio.run(asyncio.wait_for(body(), 2))
    assert failures == ["x: later"]


def test_events_are_checked_in_both_dialects_before_sending() -> None:
    update = build("session.update", {"session": {"type": "realtime", "instructions": "hi"}})
    assert for_wire(update, "beta")[0]["session"] == {"instructions": "hi"}
    with pytest.raises(ClientEventError, match=r"\$\.item_id"):
        for_wire(build("conversation.item.delete", {}), "ga")
    with pytest.raises(TypeError, match="dict"):
        build("response.create", ["not", "a", "dict"])


def test_base64_sizes() -> None:
    for size in range(7):
        assert base64_size(base64_text(bytes(size))) == size
