"""The case matrix: one row per case (grouped by category: the case id's first number, named
by the catalogue's folder), one column per dialect run of a client, each cell coloured by its
verdict and linking to the case page. One run's index has a column per dialect; the combined
page of several runs (`report RUN RUN... --output DIR`) has one per client and dialect."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from realtime_conformance.conformance.reporting.html import css_name, esc, table, verdict_badge
from realtime_conformance.conformance.reporting.model import (
    CaseRecord,
    ReportRun,
    category_label,
    page_name,
)
from realtime_conformance.conformance.verdicts import Verdict


@dataclass(frozen=True)
class Column:
    label: tuple[str, ...]  # its header's lines: (dialect,) or (client, run id, dialect)
    cases: dict[str, CaseRecord]  # case id -> the case run in this column
    link_prefix: str = ""  # from the page holding the matrix to the run's directory


def columns_of(run: ReportRun, page_dir: Path | None = None, named: bool = False) -> list[Column]:
    """A column per dialect of `run`; `page_dir`: where the page linking to it lives (default:
    the run's own directory); `named`: label columns with the client and run id too."""
    prefix = ""
    if page_dir is not None:
        prefix = Path(os.path.relpath(run.directory, page_dir)).as_posix() + "/"
    columns = []
    for dialect in run.columns():
        cases = {str(c["id"]): c for c in run.cases if str(c["dialect"]) == dialect}
        client = str(run.run.get("client", "?")).split(" (", 1)[0]  # the name, not the factory
        label = (client, str(run.run.get("id", "")), dialect) if named else (dialect,)
        columns.append(Column(label, cases, prefix))
    return columns


def _id_key(case_id: str) -> list[int]:
    return [int(part) if part.isdigit() else 0 for part in case_id.split(".")]


def _cell(case: CaseRecord | None, prefix: str) -> str:
    if case is None:
        return '<td class="cell muted">–</td>'
    verdict = str(case["verdict"])
    why = case.get("reason") or next((f.get("actual") for f in case.get("failures", [])), "")
    title = f"{verdict}: {why}" if why else verdict
    href = prefix + page_name(str(case["node_id"]))
    return (
        f'<td class="cell v-{css_name(verdict)}" title="{esc(title)}">'
        f'<a href="{esc(href)}">{esc(verdict)}</a></td>'
    )


def matrix_html(columns: list[Column]) -> str:
    ids = sorted({case_id for column in columns for case_id in column.cases}, key=_id_key)
    head = "".join(f"<th>{_header(column.label)}</th>" for column in columns)
    rows = []
    for category, in_category in groupby(ids, key=lambda case_id: case_id.split(".", 1)[0]):
        label = esc(category_label(category))
        rows.append(f'<tr class="group"><th colspan="{3 + len(columns)}">{label}</th></tr>')
        for case_id in in_category:
            first = next(c.cases[case_id] for c in columns if case_id in c.cases)
            cells = "".join(_cell(c.cases.get(case_id), c.link_prefix) for c in columns)
            rows.append(
                f"<tr><td>{esc(case_id)}</td><td>{esc(first['title'])}</td>"
                f"<td>{esc(first['level'])}</td>{cells}</tr>"
            )
    return (
        '<table class="matrix"><thead><tr><th>case</th><th>title</th><th>level</th>'
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def totals_html(columns: list[Column]) -> str:
    """Case runs per verdict, one column per matrix column (and the sum when several)."""
    counts = [Counter(str(c["verdict"]) for c in column.cases.values()) for column in columns]
    labels = [column.label for column in columns]
    if len(columns) > 1:
        counts.append(sum(counts, Counter()))
        labels.append(("all",))
    rows = [[verdict_badge(v.value), *(_num(c[v.value]) for c in counts)] for v in Verdict]
    rows.append(["<b>total</b>", *(_num(sum(c.values())) for c in counts)])
    return table(["verdict", *(_header(label) for label in labels)], rows)


def _header(lines: tuple[str, ...]) -> str:
    return "<br>".join(esc(line) for line in lines)


def _num(value: object) -> str:
    return f'<span class="num">{esc(value)}</span>'
