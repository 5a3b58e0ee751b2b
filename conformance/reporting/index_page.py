"""index.html: the run's environment, totals per verdict, the case x dialect matrix (rows
grouped by category, each cell coloured by verdict and linking to the case page) and the
coverage of schemas/ channels."""

from __future__ import annotations

from collections import Counter
from itertools import groupby
from typing import Any

from conformance.reporting.coverage import summary as coverage_summary
from conformance.reporting.html import css_name, esc, page, table, verdict_badge
from conformance.reporting.model import CaseRecord, ReportRun, category_label, page_name
from conformance.verdicts import Verdict


def _environment(run: dict[str, Any]) -> str:
    fields = [
        ("run", run.get("id")),
        ("client", run.get("client")),
        ("dialects", ", ".join(run.get("dialects", []))),
        ("harness version", run.get("harness_version")),
        ("seed", run.get("seed", "not recorded")),
        ("date", run.get("started_at")),
        ("duration", f"{run.get('duration_s', 0)} s"),
        ("strict (SHOULD cases too)", "yes" if run.get("strict") else "no"),
        ("selection", ", ".join(run.get("selection", [])) or "every case"),
        ("capabilities", ", ".join(run.get("capabilities", []))),
        ("python / platform / workers",
         f"{run.get('python')} / {run.get('platform')} / {run.get('workers')}"),
    ]  # fmt: skip
    return table(["", ""], ([f"<b>{esc(k)}</b>", esc(v)] for k, v in fields))


def _totals(cases: list[CaseRecord]) -> str:
    counted = Counter(str(case["verdict"]) for case in cases)
    rows = [[verdict_badge(v.value), _num(counted[v.value])] for v in Verdict]
    rows.append(["<b>total</b>", _num(len(cases))])
    return table(["verdict", "case runs"], rows)


def _cell(case: CaseRecord | None) -> str:
    if case is None:
        return '<td class="cell muted">–</td>'
    verdict = str(case["verdict"])
    why = case.get("reason") or next((f.get("actual") for f in case.get("failures", [])), "")
    title = f"{verdict}: {why}" if why else verdict
    return (
        f'<td class="cell v-{css_name(verdict)}" title="{esc(title)}">'
        f'<a href="{esc(page_name(str(case["node_id"])))}">{esc(verdict)}</a></td>'
    )


def _matrix(run: ReportRun) -> str:
    columns = run.columns()
    by_id: dict[str, dict[str, CaseRecord]] = {}
    for case in run.cases:
        by_id.setdefault(str(case["id"]), {})[str(case["dialect"])] = case
    head = "".join(f"<th>{esc(column)}</th>" for column in columns)
    rows = []
    for category, ids in groupby(by_id, key=lambda case_id: case_id.split(".")[0]):
        label = esc(category_label(category))
        rows.append(f'<tr class="group"><th colspan="{3 + len(columns)}">{label}</th></tr>')
        for case_id in ids:
            runs = by_id[case_id]
            first = next(iter(runs.values()))
            cells = "".join(_cell(runs.get(column)) for column in columns)
            rows.append(
                f"<tr><td>{esc(case_id)}</td><td>{esc(first['title'])}</td>"
                f"<td>{esc(first['level'])}</td>{cells}</tr>"
            )
    return (
        '<table class="matrix"><thead><tr><th>case</th><th>title</th><th>level</th>'
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


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
    doc = run.document
    outcome = "passed (no MUST case failed)" if doc.get("passed") else "FAILED (a MUST case failed)"
    body = [
        f"<h1>Conformance run {esc(run.run.get('id', ''))}</h1>",
        f"<p>{esc(run.run.get('client', ''))}: <b>{esc(outcome)}</b></p>",
        "<h2>Totals</h2>",
        _totals(run.cases),
        "<h2>Cases</h2>",
        _matrix(run),
        "<h2>Environment</h2>",
        _environment(run.run),
        "<h2>Coverage of schemas/ (event types seen on the OpenAI wire)</h2>",
        _coverage(coverage),
    ]
    return page(f"Conformance run {run.run.get('id', '')}", "\n".join(body))
