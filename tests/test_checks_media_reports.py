"""WebSocketMediaStarted / Ended against the runs of model audio the caller heard.

The story: an answer plays from t=1020 to 3020, a second one from 6020 to 6520; a correct
client reports Started as each begins to play and Ended one second after each stops.
"""

from __future__ import annotations

from collections.abc import Sequence

from tests.support.recordings import RecordingBuilder, judge

CHECK = ["media.media_reports"]


def two_runs(reports: Sequence[tuple[float, str]], end_ms: float = 8000) -> RecordingBuilder:
    b = RecordingBuilder().session().call_start()
    b.at(1000).audio_response("resp_1", "item_a1", 2000)
    b.at(6000).audio_response("resp_2", "item_a2", 500)
    b.at(1020).play(2000).at(6020).play(500)
    for t_ms, name in reports:
        b.at(t_ms).report(name)
    return b.at(end_ms).meta({"kind": "note"})


CORRECT = [
    (1030, "WebSocketMediaStarted"),
    (4030, "WebSocketMediaEnded"),
    (6030, "WebSocketMediaStarted"),
    (7530, "WebSocketMediaEnded"),
]


def test_reports_as_each_run_starts_and_a_second_after_it_ends_pass() -> None:
    assert judge(two_runs(CORRECT), CHECK) == []


def test_a_client_that_does_not_report_is_not_judged_unless_the_case_expects_it() -> None:
    assert judge(two_runs([]), CHECK) == []
    failures = judge(two_runs([]), CHECK, expect={"media_reports": True})
    assert [f.actual for f in failures] == [
        "timeout: no WebSocketMediaStarted for run 1",
        "timeout: no WebSocketMediaEnded for run 1",
    ]
    failures = judge(two_runs(CORRECT[:2]), CHECK, expect={"media_reports": "every_run"})
    assert [f.actual for f in failures] == [
        "timeout: no WebSocketMediaStarted for run 2",
        "timeout: no WebSocketMediaEnded for run 2",
    ]


def test_a_driver_that_passes_on_only_the_first_of_each_kind_passes_by_default() -> None:
    assert judge(two_runs(CORRECT[:2]), CHECK) == []


def test_started_when_the_call_starts_instead_of_when_audio_plays_fails() -> None:
    reports = [(0, "WebSocketMediaStarted"), *CORRECT[1:2]]
    failures = judge(two_runs(reports), CHECK)
    assert [f.actual for f in failures] == [
        "WebSocketMediaStarted -1020 ms from when it was due",
        "timeout: no WebSocketMediaStarted for run 1",
    ]
    assert "each report MUST match a run of model audio" in failures[0].requirement


def test_ended_without_the_second_of_silence_fails() -> None:
    reports = [CORRECT[0], (3020, "WebSocketMediaEnded"), *CORRECT[2:]]
    failures = judge(two_runs(reports), CHECK)
    assert failures[0].actual == "WebSocketMediaEnded -1000 ms from when it was due"


def test_a_report_still_due_when_the_recording_ends_is_not_judged() -> None:
    every = {"media_reports": "every_run"}
    assert judge(two_runs(CORRECT[:3], end_ms=7900), CHECK, expect=every)[0].actual == (
        "timeout: no WebSocketMediaEnded for run 2"
    )
    assert judge(two_runs(CORRECT[:3], end_ms=7500), CHECK, expect=every) == []


def test_extra_reports_fail() -> None:
    failures = judge(two_runs([*CORRECT, (7000, "WebSocketMediaStarted")]), CHECK)
    assert [f.actual for f in failures] == [
        "WebSocketMediaStarted at 7000 ms, one more than the runs of heard audio (2)"
    ]


def test_a_report_made_early_for_a_run_due_at_the_recordings_end_matches_that_run() -> None:
    # Ended for run 2 is due at 7530; the client says it 100 ms early and the recording stops
    # at 7600, inside the 300 ms tolerance after the due time: the report belongs to run 2
    # (it was flagged as "one more than the runs" when such runs were left out of matching).
    reports = [*CORRECT[:3], (7430, "WebSocketMediaEnded")]
    every = {"media_reports": "every_run"}
    assert judge(two_runs(reports, end_ms=7600), CHECK, expect=every) == []
    assert judge(two_runs(reports, end_ms=7600), CHECK) == []
