"""The registry: every check is named, leveled and worded; failures read in five parts."""

from __future__ import annotations

import pytest

from realtime_conformance.conformance.checks.registry import (
    REGISTRY,
    CheckContext,
    Failure,
    format_failure,
    get_check,
    load_all_checks,
    run_checks,
)
from realtime_conformance.conformance.recording import CaseRecording
from tests.support.recordings import RecordingBuilder

MINE = ("order", "media", "payload", "resilience")


def test_every_check_of_each_concern_is_registered_with_a_stated_requirement() -> None:
    names = load_all_checks()
    mine = [REGISTRY[name] for name in names if name.split(".")[0] in MINE]
    assert len(mine) >= 25
    for spec in mine:
        assert spec.name.startswith(spec.concern + ".")
        text = spec.requirement_text({})
        assert spec.level in text or (spec.level == "INFO"), spec.name
        for key, value in spec.tolerances.items():  # every tolerance is stated in the text
            assert f"{{{key}" in spec.requirement, (spec.name, key, value)


def test_a_case_tolerance_changes_the_bound_and_its_wording() -> None:
    spec = get_check("media.clear_on_barge_in")
    assert "within 400 ms" in spec.requirement_text({})
    assert "within 800 ms" in spec.requirement_text({"clear_ms": 800})


def test_unknown_check_names_are_refused_with_the_known_ones() -> None:
    ctx = CheckContext("1.1.1", "t", CaseRecording(()))
    with pytest.raises(KeyError, match=r"order\.one_response_at_a_time"):
        run_checks(ctx, ["order.nope"])


def test_a_recording_round_trips_through_jsonl() -> None:
    recording = RecordingBuilder().session().call_start().play(40).report("X").build()
    again = CaseRecording.from_lines(recording.dumps().splitlines())
    assert again.dumps() == recording.dumps()
    assert [e.wire for e in again] == [e.wire for e in recording]
    assert len(again.call_sent()) == 2 and len(again.reports("X")) == 1
    assert again.dialect() == "ga" and len(again.client_events()) == 1


def test_failure_text_lists_every_acceptable_outcome() -> None:
    failure = Failure(
        "media.truncate_on_barge_in", "The client MUST truncate.", "MUST",
        ("truncate within 1000 ms", "delete within 1000 ms"), "timeout", 1820.0,
    )  # fmt: skip
    reproduce = "pytest conformance --case 5.4.2 --dialect ga -n0 -vv"
    assert format_failure("5.4.2", "Barge-in", failure, reproduce).splitlines() == [
        "5.4.2 Barge-in",
        "  -> MUST [media.truncate_on_barge_in] The client MUST truncate.",
        "  Expected: one of:",
        "    - truncate within 1000 ms",
        "    - delete within 1000 ms",
        "  Actual: timeout (at 1820 ms)",
        f"  Reproduce: {reproduce}",
    ]


def test_checks_never_load_the_network_layer() -> None:
    """Layer rule: checks are pure functions of a recording (run in a fresh interpreter, as
    this test session may have loaded aiohttp for other tests)."""
    import subprocess
    import sys

    code = (
        "import sys; from realtime_conformance.conformance.checks.registry import load_all_checks; "
        "load_all_checks(); print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('aiohttp', 'asyncio', 'socket') or m.startswith(('realtime_conformance.mockserver', "
        "'realtime_conformance.refclient'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_a_measure_taken_twice_in_a_case_keeps_the_worst() -> None:
    b = RecordingBuilder().session().call_start()
    b.at(1000).audio_response("resp_1", "item_a1", 500).at(1030).play(500)
    b.at(3000).audio_response("resp_2", "item_a2", 500).at(3200).play(500)
    ctx = CheckContext("9.9.9", "t", b.build())
    assert run_checks(ctx, ["media.first_audio_latency"]) == []
    assert ctx.measurements["media.first_audio_latency.first_audio_ms"] == 200
