"""A synthetic run for the report tests: results.json with every verdict kind and recordings
built by hand, judged by the real checks where a verdict rests on failures.

The FAIL case is the classic barge-in bug (tests/test_checks_media.py's story): a 2000 ms answer
arrives at t=1000, plays from t=1020, the caller barges in at t=1820 having heard 800 ms, and
the client truncates at the audio it received (2000) instead of heard. Client-controlled text
with markup rides along in the recordings, the titles and the failures, so tests can check that
every page escapes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from realtime_conformance.conformance import results as results_io
from realtime_conformance.conformance.checks.registry import (
    CheckContext,
    format_failure,
    run_checks,
)
from realtime_conformance.conformance.recording import CaseRecording
from tests.support.recordings import RecordingBuilder

REPRODUCE = "pytest conformance --case 5.4.3 --dialect ga -n0 -vv"  # what a run records
EVIL = '<script>alert("x")</script>&<b>'
BARGE_IN_CHECKS = [
    "media.clear_on_barge_in",
    "media.truncate_on_barge_in",
    "media.truncate_at_heard_audio",
    "media.first_audio_latency",
]


def barge_in_recording(audio_end_ms: float, dialect: str = "ga") -> CaseRecording:
    b = RecordingBuilder(dialect)
    b.step("start", dialect=dialect)
    b.session().call_start()
    b.user_text(EVIL)  # the client's text, with markup, in the wire log
    b.at(1000).audio_response("resp_1", "item_a1", 2000)
    b.at(1020)
    while b.t_ms < 1820:
        b.play(20)
    b.mark("m1")
    b.at(1820).server("input_audio_buffer.speech_started", audio_start_ms=5000, item_id="u2")
    b.at(1850).clear()
    b.at(1860).client(
        "conversation.item.truncate", item_id="item_a1", content_index=0, audio_end_ms=audio_end_ms
    )
    b.at(3000).server("input_audio_buffer.speech_stopped", audio_end_ms=6000, item_id="u2")
    b.report("WebSocketMediaEnded", reason=EVIL)
    return b.build()


def text_recording(dialect: str = "ga") -> CaseRecording:
    b = RecordingBuilder(dialect)
    b.session()
    b.at(50).user_text("Hello")
    b.client("response.create")
    return b.at(100).text_response("resp_1", "item_1", "Hi there").build()


def record(case_id: str, dialect: str, verdict: str, **fields: Any) -> dict[str, Any]:
    node_id = f"{case_id}[{dialect}]"
    base: dict[str, Any] = {
        "node_id": node_id,
        "id": case_id,
        "dialect": dialect,
        "title": f"case {case_id}",
        "requirement": f"The client MUST do what case {case_id} asks.",
        "level": "MUST",
        "category": case_id.split(".", maxsplit=1)[0],
        "timing": "ordering",
        "needs": ["text"],
        "verdict": verdict,
        "reason": None,
        "failures": [],
        "unavailable_checks": [],
        "recording": results_io.recording_path(node_id),
        "duration_ms": 1000.0,
        "measurements": {},
    }
    return {**base, **fields}


def judged(case_id: str, title: str, recording: CaseRecording) -> dict[str, Any]:
    """failures and measurements as the runner records them, from the real checks."""
    ctx = CheckContext(case_id, title, recording)
    failures = run_checks(ctx, BARGE_IN_CHECKS)
    return {
        "failures": [
            {**f.to_dict(), "text": format_failure(case_id, title, f, REPRODUCE)} for f in failures
        ],
        "measurements": dict(ctx.measurements),
    }


def fail_record(dialect: str, verdict: str = "FAIL", **fields: Any) -> dict[str, Any]:
    title = f"Barge-in truncates at the audio heard {EVIL}"
    return record(
        "5.4.2", dialect, verdict, title=title, timing="realtime", needs=["audio", "telephony"],
        **judged("5.4.2", title, barge_in_recording(2000, dialect)), **fields,
    )  # fmt: skip


def every_verdict_records() -> list[dict[str, Any]]:
    should = {"level": "SHOULD", "requirement": "The client SHOULD send unique event ids."}
    return [
        record("1.1.1", "ga", "PASS"),
        record("1.1.1", "beta", "PASS"),
        record("2.1.1", "ga", "NON-STRICT", **should),
        record("3.1.1", "ga", "INFORMATIONAL"),
        record("4.1.1", "ga", "UNIMPLEMENTED", recording=None, reason=f"lacks truncation {EVIL}"),
        fail_record("ga"),
        fail_record("beta", "KNOWN-DEVIATION", reason="known: truncates at received"),
    ]


def recordings_for(records: list[dict[str, Any]]) -> dict[str, CaseRecording]:
    found = {}
    for case in records:
        if case["recording"] is None:
            continue
        dialect = case["dialect"]
        found[case["node_id"]] = (
            barge_in_recording(2000, dialect) if case["id"] == "5.4.2" else text_recording(dialect)
        )
    return found


def write_run(
    directory: Path,
    records: list[dict[str, Any]],
    run_id: str = "run-1",
    client: str = "synthetic (tests.support.report_runs)",
) -> Path:
    """results.json, junit.xml and the recordings of a synthetic run; returns `directory`."""
    info = results_io.RunInfo(run_id, client, ["text"], ["ga", "beta"], False, [])
    results_io.write_results(directory, results_io.document(info, records))
    for node_id, recording in recordings_for(records).items():
        path = directory / results_io.recording_path(node_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(recording.dumps(), encoding="utf-8")
    return directory
