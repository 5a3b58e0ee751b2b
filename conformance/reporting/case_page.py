"""A case page: requirement, verdict, every failure in its five parts, the measurements, the
timeline picture and the wire log of both sides."""

from __future__ import annotations

from typing import Any

from realtime_conformance.conformance.recording import CaseRecording
from realtime_conformance.conformance.reporting.html import esc, page, table, verdict_badge
from realtime_conformance.conformance.reporting.model import CaseRecord, category_label
from realtime_conformance.conformance.reporting.timeline import timeline_svg
from realtime_conformance.conformance.reporting.wirelog import wire_log_html
from realtime_conformance.conformance.reproduce import reproduce_line


def _failure(case: CaseRecord, failure: dict[str, Any]) -> str:
    expected = "".join(f"<li>{esc(outcome)}</li>" for outcome in failure.get("expected", []))
    at = failure.get("at_ms")
    actual = esc(failure.get("actual", "")) + (f" (at {at:.0f} ms)" if at is not None else "")
    measured = ", ".join(f"{esc(k)}={v:g}" for k, v in failure.get("measurements", {}).items())
    rows = [
        ("case", f"{esc(case['id'])} {esc(case['title'])}"),
        ("requirement", f"{esc(failure.get('level'))} [{esc(failure.get('check'))}] "
                        f"{esc(failure.get('requirement'))}"),
        ("expected", f"<ul>{expected}</ul>"),
        ("actual", actual),
    ]  # fmt: skip
    if failure.get("detail"):
        rows.append(("where", esc(failure["detail"])))
    if measured:
        rows.append(("measured", measured))
    # results.json before reproduce lines were kept: the case alone, client options unknown
    reproduce = case.get("reproduce") or reproduce_line(
        str(case["id"]), str(case["dialect"]), case.get("level") == "SHOULD", (), None
    )
    rows.append(("reproduce", f"<code>{esc(reproduce)}</code>"))
    items = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in rows)
    return f'<div class="failure level-{esc(failure.get("level"))}"><dl>{items}</dl></div>'


def _summary(case: CaseRecord) -> str:
    rows = [
        ("verdict", verdict_badge(str(case["verdict"]))),
        ("requirement", f"{esc(case['level'])}: {esc(case['requirement'])}"),
        ("category", esc(category_label(str(case["category"])))),
        ("dialect", esc(case["dialect"])),
        ("timing", esc(case.get("timing", ""))),
        ("needs", esc(", ".join(case.get("needs", [])) or "–")),
        ("duration", f"{float(case.get('duration_ms', 0)):.0f} ms"),
    ]
    if case.get("reason"):
        rows.insert(1, ("why", esc(case["reason"])))
    if case.get("unavailable_checks"):
        rows.append(("checks not run", esc(", ".join(case["unavailable_checks"]))))
    return table(["", ""], ([f"<b>{name}</b>", value] for name, value in rows))


def _measurements(case: CaseRecord) -> str:
    measured = case.get("measurements") or {}
    if not measured:
        return '<p class="muted">No measurement taken.</p>'
    rows = ([esc(name), f'<span class="num">{value:g}</span>'] for name, value in measured.items())
    return table(["measurement", "value"], rows)


def _files(case: CaseRecord) -> str:
    recording = case.get("recording")
    if not isinstance(recording, str):
        return ""
    link = f'<a href="../{esc(recording)}">{esc(recording)}</a>'
    return f'<p class="muted">Recording (both wires, JSONL): {link}</p>'


def case_page(case: CaseRecord, recording: CaseRecording | None) -> str:
    failures = case.get("failures") or []
    title = f"{case['node_id']} {case['title']}"
    parts = [
        '<p><a href="../index.html">← all cases</a></p>',
        f"<h1>{esc(title)}</h1>",
        _files(case),
        _summary(case),
        f"<h2>Failures ({len(failures)})</h2>",
        "".join(_failure(case, f) for f in failures) or '<p class="muted">None.</p>',
        "<h2>Measurements</h2>",
        _measurements(case),
    ]
    if recording is None:
        parts.append('<h2>Recording</h2><p class="muted">No recording for this case run.</p>')
    else:
        measured = case.get("measurements") or {}
        parts += [
            "<h2>Timeline</h2>",
            timeline_svg(recording, failures, measured),
            f"<h2>Wire log ({len(recording)} lines: OpenAI wire, call wire, driver)</h2>",
            wire_log_html(recording),
        ]
    return page(f"{title} – {case['verdict']}", "\n".join(parts))
