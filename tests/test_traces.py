"""Real recorded traffic (../shared/traces) must pass the schema check: no false rejections.

Following shared/traces/README.md: lines without an event and `fidelity: partial` lines are not
schema-complete and are skipped by the check itself; `summaries/` is not frame-complete and is
left out; client events marked `expected_invalid` were rejected by the real server, so the check
must flag exactly those lines.
"""

from __future__ import annotations

import pytest

from realtime_conformance.conformance.checks.schema import check_schema
from realtime_conformance.rtproto.transcript import parse_lines
from realtime_conformance.rtproto.validation import EventValidator
from tests.support.shared import shared_dir

TRACES = shared_dir() / "traces"
TRACE_FILES = (
    sorted(
        path.relative_to(TRACES).as_posix()
        for path in TRACES.rglob("*.jsonl")
        if "summaries" not in path.parts
    )
    if TRACES.exists()
    else []
)


@pytest.fixture(scope="module")
def validator() -> EventValidator:
    return EventValidator()


def test_the_traces_are_there() -> None:
    from tests.support.shared import require_shared

    require_shared("traces")
    assert len(TRACE_FILES) >= 40


@pytest.mark.parametrize("name", TRACE_FILES)
def test_real_trace_passes_the_schema_check(name: str, validator: EventValidator) -> None:
    lines = list(parse_lines((TRACES / name).read_text(encoding="utf-8").splitlines()))
    report = check_schema(lines, validator, source=name)
    expected_invalid = sorted(line.number for line in lines if line.expected_invalid)
    wrongly_rejected = [str(p) for p in report.problems if p.line not in expected_invalid]
    assert not wrongly_rejected, "\n".join(wrongly_rejected)
    assert report.invalid_lines == expected_invalid
    assert report.events_checked > 0 or all(line.is_partial for line in lines if line.event)


def test_realtime_dialects_are_told_apart(validator: EventValidator) -> None:
    beta = TRACES / "realtime-beta" / "dictionary-text-response.jsonl"
    ga = TRACES / "realtime-ga" / "capture-2026-09-18-p08-text-session-with-errors.jsonl"
    if not beta.exists():
        pytest.skip("shared traces not present")
    for path, dialect in ((beta, "beta"), (ga, "ga")):
        report = check_schema(parse_lines(path.read_text().splitlines()), validator)
        assert report.dialect == dialect


def test_unknown_event_in_p08_is_named_precisely(validator: EventValidator) -> None:
    path = TRACES / "realtime-ga" / "capture-2026-09-18-p08-text-session-with-errors.jsonl"
    if not path.exists():
        pytest.skip("shared traces not present")
    report = check_schema(parse_lines(path.read_text().splitlines()), validator)
    by_path = {problem.problem.path: problem.problem for problem in report.problems}
    assert by_path["$.type"].kind == "unknown_event" and '"nope"' in by_path["$.type"].actual
    assert by_path["$.session.bogus_field"].kind == "unknown_field"
