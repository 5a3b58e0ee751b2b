"""No false alarms: every recorded real Realtime stream passes the server-stream checks.

Following shared/traces/README.md: `summaries/` is not frame-complete and
`sip-gateway-cpp-comment-events.jsonl` is in source order, not wire order, so neither can be
judged for order. Every other Realtime file (GA and beta, windows included) must pass; partial
lines take part with the ids they have.
"""

from __future__ import annotations

import pytest

from realtime_conformance.conformance.checks.grammar import walk
from realtime_conformance.conformance.checks.order import SERVER_RULES
from realtime_conformance.conformance.checks.registry import CheckContext, run_checks
from realtime_conformance.conformance.recording import CaseRecording
from tests.support.shared import require_shared, shared_dir

TRACES = shared_dir() / "traces"
NOT_IN_WIRE_ORDER = {"realtime-ga/sip-gateway-cpp-comment-events.jsonl"}
REALTIME_FILES = (
    sorted(
        path.relative_to(TRACES).as_posix()
        for path in TRACES.glob("realtime-*/**/*.jsonl")
        if "summaries" not in path.parts
    )
    if TRACES.exists()
    else []
)
IN_WIRE_ORDER = [name for name in REALTIME_FILES if name not in NOT_IN_WIRE_ORDER]
HTTP_FILES = (
    sorted(
        path.relative_to(TRACES).as_posix()
        for api in ("responses", "chat")
        for path in (TRACES / api).glob("*.jsonl")
    )
    if TRACES.exists()
    else []
)
HTTP_CHECK = {"responses": "order.responses_stream", "chat": "order.chat_stream"}


def test_the_realtime_traces_are_there() -> None:
    require_shared("traces")
    assert len(IN_WIRE_ORDER) >= 11
    assert any(name.startswith("realtime-beta/") for name in IN_WIRE_ORDER)


@pytest.mark.parametrize("name", IN_WIRE_ORDER)
def test_real_stream_passes_the_server_stream_check(name: str) -> None:
    recording = CaseRecording.load(TRACES / name)
    ctx = CheckContext(name, "recorded real stream", recording)
    failures = run_checks(ctx, ["order.server_stream"])
    assert failures == [], "\n".join(f"{f.detail}: {f.actual}" for f in failures)
    assert recording.server_events(), "nothing was judged"


@pytest.mark.parametrize("name", HTTP_FILES)
def test_real_http_stream_passes_its_stream_check(name: str) -> None:
    recording = CaseRecording.load(TRACES / name)
    check = HTTP_CHECK[name.split("/", maxsplit=1)[0]]
    failures = run_checks(CheckContext(name, "recorded real stream", recording), [check])
    assert failures == [], "\n".join(f"{f.detail}: {f.actual}" for f in failures)


def test_every_http_trace_was_judged() -> None:
    require_shared("traces")
    assert len([n for n in HTTP_FILES if n.startswith("responses/")]) >= 20
    assert len([n for n in HTTP_FILES if n.startswith("chat/")]) >= 10


def test_the_grammar_did_follow_the_responses_of_the_captures() -> None:
    """Not a vacuous pass: the p08 capture's two responses (one given only as summaries without
    ids) were opened and closed, and the beta window's 77 deltas reached their part."""
    path = TRACES / "realtime-ga" / "capture-2026-09-18-p08-text-session-with-errors.jsonl"
    if not path.exists():
        pytest.skip("shared traces not present")
    state = walk(CaseRecording.load(path)).state
    assert set(state.responses) == {"resp_ELIDED_R1", "resp_ELIDED_R2"}
    assert not state.open_responses
    assert state.items["item_ELIDED_p08_A1"].parts[0].finished == {"output_text"}


def test_the_out_of_order_comment_file_would_be_a_false_alarm() -> None:
    """Why that file is left out: pasted comments out of wire order break the grammar."""
    path = TRACES / "realtime-ga" / "sip-gateway-cpp-comment-events.jsonl"
    if not path.exists():
        pytest.skip("shared traces not present")
    tracker = walk(CaseRecording.load(path))
    assert {breach.rule for breach in tracker.breaches} & set(SERVER_RULES)
