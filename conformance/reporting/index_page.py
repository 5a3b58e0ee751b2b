"""index.html: totals per verdict, the case x dialect matrix (conformance.reporting.matrix),
the run's environment and the coverage of schemas/ channels; and the combined page of several
runs (one column per client and dialect)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from realtime_conformance.conformance.reporting.coverage import summary as coverage_summary
from realtime_conformance.conformance.reporting.html import esc, page, table
from realtime_conformance.conformance.reporting.matrix import columns_of, matrix_html, totals_html
from realtime_conformance.conformance.reporting.model import INDEX_FILE, ReportRun


def environment_html(run: dict[str, Any]) -> str:
    fields = [
        ("run", run.get("id")),
        ("client", run.get("client")),
        ("dialects", ", ".join(run.get("dialects", []))),
        ("harness version", run.get("harness_version")),
        ("seed", run.get("seed", "per case, derived from its node id (the same every run)")),
        ("date", run.get("started_at")),
        ("duration", f"{run.get('duration_s', 0)} s"),
        ("strict (SHOULD cases too)", "yes" if run.get("strict") else "no"),
        ("selection", ", ".join(run.get("selection", [])) or "every case"),
        ("capabilities", ", ".join(run.get("capabilities", []))),
        ("python / platform / workers",
         f"{run.get('python')} / {run.get('platform')} / {run.get('workers')}"),
    ]  # fmt: skip
    return table(["", ""], ([f"<b>{esc(k)}</b>", esc(v)] for k, v in fields))


def _num(value: object) -> str:
    return f'<span class="num">{esc(value)}</span>'


def _type_row(row: dict[str, Any]) -> list[str]:
    where = [esc(row["api"]), esc(row["dialect"] or "–"), esc(row["direction"])]
    return [*where, f"<code>{esc(row['type'])}</code>", _num(row["cases"])]


def _coverage(coverage: dict[str, Any]) -> str:
    rows = [
        [esc(g["api"]), esc(g["dialect"] or "–"), esc(g["direction"]),
         f'<span class="num">{g["seen"]} / {g["total"]}</span>']
        for g in coverage_summary(coverage)
    ]  # fmt: skip
    detail = [_type_row(r) for r in coverage.get("channels", [])]
    unknown = [_type_row(r) for r in coverage.get("unknown", [])]
    header = ["api", "dialect", "direction", "event type", "case runs"]
    parts = [table(["api", "dialect", "direction", "types exercised"], rows)]
    parts.append("<details><summary>Every catalogued event type</summary>")
    parts.append(table(header, detail) + "</details>")
    if unknown:
        parts.append("<h3>Event types seen that schemas/ does not catalogue</h3>")
        parts.append(table(header, unknown))
    return "".join(parts)


def index_page(run: ReportRun, coverage: dict[str, Any]) -> str:
    doc, columns = run.document, columns_of(run)
    outcome = "passed (no MUST case failed)" if doc.get("passed") else "FAILED (a MUST case failed)"
    body = [
        f"<h1>Conformance run {esc(run.run.get('id', ''))}</h1>",
        f"<p>{esc(run.run.get('client', ''))}: <b>{esc(outcome)}</b></p>",
        '<p class="muted">Machine-readable: <a href="results.json">results.json</a> · '
        '<a href="junit.xml">junit.xml</a> · <a href="ctrf.json">ctrf.json</a> · recordings/</p>',
        "<h2>Totals</h2>",
        totals_html(columns),
        "<h2>Cases</h2>",
        matrix_html(columns),
        "<h2>Environment</h2>",
        environment_html(run.run),
        "<h2>Coverage of schemas/ (event types seen on the OpenAI wire)</h2>",
        _coverage(coverage),
    ]
    return page(f"Conformance run {run.run.get('id', '')}", "\n".join(body))


def combined_page(runs: list[ReportRun], page_dir: Path) -> str:
    """Several runs side by side (clients, or one client's runs over time): a column per
    client and dialect, cells linking into each run's own case pages."""
    columns = [column for run in runs for column in columns_of(run, page_dir, named=True)]
    body = [
        f"<h1>Conformance matrix: {len(runs)} runs</h1>",
        "<h2>Totals</h2>",
        totals_html(columns),
        "<h2>Cases</h2>",
        matrix_html(columns),
    ]
    for run in runs:
        link = Path(os.path.relpath(run.directory / INDEX_FILE, page_dir)).as_posix()
        body.append(f'<h2>Run <a href="{esc(link)}">{esc(run.run.get("id", ""))}</a></h2>')
        body.append(environment_html(run.run))
    return page(f"Conformance matrix: {len(runs)} runs", "\n".join(body))
