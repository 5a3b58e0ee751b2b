"""The handshake rules (shared/PROTOCOL.md §1) as pure functions: no sockets."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from realtime_conformance.mockserver.handshake import evaluate
from realtime_conformance.mockserver.options import ServerOptions
from realtime_conformance.rtproto.handshake import (
    BETA_RETIRED_MESSAGE,
    Handshake,
    HandshakeRequest,
    dialect_of,
    mask_key,
    presented_key,
    redacted_headers,
    select_subprotocol,
)
from tests.support.shared import require_shared

KEY = "sk-abcdefghijklmnopqrstuvwxyz"
GA_QUERY = {"model": "gpt-realtime"}


def request(
    query: Mapping[str, str] | None = None,
    /,
    path: str = "/v1/realtime",
    **headers: str,
) -> HandshakeRequest:
    names = {name: name.replace("_", "-") for name in headers}
    pairs = [(names[name], value) for name, value in headers.items()]
    return HandshakeRequest.from_pairs(path, GA_QUERY if query is None else query, pairs)


def decide(req: HandshakeRequest, **options: Any) -> Handshake:
    return evaluate(req, ServerOptions(**options))


def trace_rejection(name: str) -> tuple[dict[str, object], dict[str, object]]:
    """The `error` object and the close meta of one rejection capture."""
    path = require_shared("traces", "realtime-ga", f"capture-2026-09-18-{name}.jsonl")
    records = [json.loads(line) for line in path.read_text().splitlines()]
    error = next(r["event"]["error"] for r in records if r["dir"] == "server")
    close = next(r["meta"] for r in records if r.get("meta", {}).get("kind") == "close")
    return error, close


def test_a_good_ga_request_is_accepted() -> None:
    decision = decide(request(Authorization=f"Bearer {KEY}"))
    assert decision.rejection is None
    assert (decision.dialect, decision.model, decision.subprotocol) == ("ga", "gpt-realtime", None)


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {KEY}"},
        {"authorization": f"bearer {KEY}"},
        {"Sec_WebSocket_Protocol": f"realtime, openai-insecure-api-key.{KEY}"},
        {"api_key": KEY},
    ],
)
def test_the_key_is_read_from_bearer_subprotocol_or_api_key(headers: dict[str, str]) -> None:
    assert presented_key(request(**headers)) == KEY


def test_repeated_protocol_headers_are_joined() -> None:
    req = HandshakeRequest.from_pairs(
        "/v1/realtime",
        GA_QUERY,
        [
            ("Sec-WebSocket-Protocol", "realtime"),
            ("sec-websocket-protocol", f"openai-insecure-api-key.{KEY}"),
        ],
    )
    assert req.subprotocols == ["realtime", f"openai-insecure-api-key.{KEY}"]
    assert presented_key(req) == KEY


@pytest.mark.parametrize(
    ("offered", "selected"),
    [
        (["realtime", f"openai-insecure-api-key.{KEY}"], "realtime"),
        ([f"openai-insecure-api-key.{KEY}", "openai-beta.realtime-v1", "realtime"], "realtime"),
        (["openai-beta.realtime-v1"], None),
        ([], None),
    ],
)
def test_realtime_is_selected_whenever_offered(offered: list[str], selected: str | None) -> None:
    assert select_subprotocol(offered) == selected


@pytest.mark.parametrize(
    ("headers", "dialect"),
    [
        ({"OpenAI_Beta": "realtime=v1"}, "beta"),
        ({"openai_beta": "REALTIME=V1"}, "beta"),
        ({"OPENAI_BETA": "assistants=v2, realtime=v1"}, "beta"),
        ({"Sec_WebSocket_Protocol": "realtime, openai-beta.realtime-v1"}, "beta"),
        ({"OpenAI_Beta": "assistants=v2"}, "ga"),
        ({}, "ga"),
    ],
)
def test_the_dialect_comes_from_the_beta_header_or_subprotocol(
    headers: dict[str, str], dialect: str
) -> None:
    assert dialect_of(request(**headers)) == dialect


def test_missing_key_is_refused_as_the_real_api_does() -> None:
    error, close = trace_rejection("p10b-no-authorization")
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Basic abc"}):
        rejection = decide(request(**headers)).rejection
        assert rejection is not None
        assert rejection.error.details() == error
        assert (rejection.close_code, rejection.close_reason) == (close["code"], close["reason"])


def test_a_wrong_key_is_refused_with_its_masked_form() -> None:
    error, close = trace_rejection("p10-bad-api-key")
    rejection = decide(request(Authorization=f"Bearer {KEY}"), api_keys={"sk-other"}).rejection
    assert rejection is not None
    expected = {**error, "message": str(error["message"]).replace("<KEY8>***…AAAA", mask_key(KEY))}
    assert rejection.error.details() == expected
    assert (rejection.close_code, rejection.close_reason) == (close["code"], close["reason"])


def test_keys_are_masked_like_the_capture_shows() -> None:
    assert mask_key(KEY) == "sk-abcde***…wxyz"
    assert mask_key("sk-short") == "sk-***…"  # how short keys are masked is not recorded


def test_a_listed_key_is_accepted_and_any_key_when_none_are_listed() -> None:
    assert decide(request(api_key=KEY), api_keys={KEY}).rejection is None
    assert decide(request(api_key="anything")).rejection is None


def test_an_unknown_model_is_refused() -> None:
    error, close = trace_rejection("p11-unknown-model")
    rejection = decide(request({"model": "gpt-nope"}, api_key=KEY)).rejection
    assert rejection is not None
    details = rejection.error.details()
    assert str(details["message"]).startswith(str(error["message"]).rstrip("…"))
    assert {**details, "message": None} == {**error, "message": None}
    assert (rejection.close_code, rejection.close_reason) == (close["code"], close["reason"])


def test_a_missing_model_is_refused() -> None:
    error, close = trace_rejection("p11b-missing-model")
    rejection = decide(request({}, api_key=KEY)).rejection
    assert rejection is not None
    assert rejection.error.details() == error
    assert (rejection.close_code, rejection.close_reason) == (close["code"], close["reason"])


@pytest.mark.parametrize(
    "model",
    ["gpt-realtime", "gpt-realtime-mini", "gpt-4o-realtime-preview-2024-12-17",
     "gpt-4o-mini-realtime-preview"],
)  # fmt: skip
def test_realtime_models_are_supported(model: str) -> None:
    assert decide(request({"model": model}, api_key=KEY)).rejection is None


@pytest.mark.parametrize(
    "query", [{"intent": "transcription"}, {"call_id": "rtc_123"}], ids=["intent", "call_id"]
)
def test_transcription_sessions_and_call_joins_need_no_model(query: dict[str, str]) -> None:
    decision = decide(request(query, api_key=KEY))
    assert decision.rejection is None
    assert (decision.intent, decision.call_id) == (query.get("intent"), query.get("call_id"))


@pytest.mark.parametrize(
    ("name", "query"),
    [("p08b-beta-header-rejected-realtime", {"model": "gpt-realtime-mini"}),
     ("p07c-beta-header-rejected-transcription", {"intent": "transcription"})],
)  # fmt: skip
def test_retired_beta_is_refused_only_when_asked(name: str, query: dict[str, str]) -> None:
    error, close = trace_rejection(name)
    beta = request(query, api_key=KEY, OpenAI_Beta="realtime=v1")
    assert decide(beta).rejection is None
    rejection = decide(beta, retired_beta=True).rejection
    assert rejection is not None
    details = rejection.error.details()
    assert (details["type"], details["code"]) == (error["type"], error["code"])
    assert details["message"] == BETA_RETIRED_MESSAGE
    assert (rejection.close_code, rejection.close_reason) == (close["code"], close["reason"])
    assert decide(request(query, api_key=KEY), retired_beta=True).rejection is None


def test_the_key_is_checked_before_the_model() -> None:
    rejection = decide(request({"model": "gpt-nope"}), retired_beta=True).rejection
    assert rejection is not None
    assert rejection.close_code == 3000


def test_the_azure_path_reads_the_deployment() -> None:
    azure = {"api-version": "2025-04-01-preview", "deployment": "my-voice-bot"}
    decision = decide(request(azure, path="/openai/realtime", api_key=KEY))
    assert (decision.rejection, decision.model) == (None, "my-voice-bot")
    missing = decide(request({"api-version": "x"}, path="/openai/realtime", api_key=KEY))
    assert missing.rejection is not None
    assert missing.rejection.error.code == "missing_model"


def test_secrets_are_redacted_for_transcripts() -> None:
    req = request(
        Authorization=f"Bearer {KEY}",
        api_key=KEY,
        Sec_WebSocket_Protocol=f"realtime, openai-insecure-api-key.{KEY}, openai-beta.realtime-v1",
        OpenAI_Beta="realtime=v1",
    )
    redacted = redacted_headers(req)
    assert KEY not in json.dumps(redacted)
    assert redacted["Authorization"] == "Bearer <redacted>"
    assert redacted["Sec-WebSocket-Protocol"] == (
        "realtime, openai-insecure-api-key.<redacted>, openai-beta.realtime-v1"
    )
    assert redacted["OpenAI-Beta"] == "realtime=v1"
