"""Figures: percentiles, and a benchmark's results printed as a table or as JSON.

A result is a list of rows (dicts of plain values); the table shows the chosen columns, the JSON
(`--json`) holds every field plus the run's context, so runs can be compared later.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

Row = dict[str, Any]


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted values (NaN when there are none)."""
    if not sorted_values:
        return math.nan
    rank = max(math.ceil(fraction * len(sorted_values)) - 1, 0)
    return sorted_values[min(rank, len(sorted_values) - 1)]


def median(values: Sequence[float]) -> float:
    return percentile(sorted(values), 0.5)


def ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline else math.nan


def run_context() -> dict[str, Any]:
    """Where and when the figures were taken: they only compare within one run."""
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "argv": sys.argv,
    }


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
    return str(value)


def format_table(rows: Sequence[Row], columns: Sequence[str]) -> str:
    cells = [[_cell(row.get(column, "")) for column in columns] for row in rows]
    widths = [max([len(c), *(len(line[i]) for line in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) for c, w in zip(line, widths, strict=True)) for line in cells]
    return "\n".join(lines)


def emit(
    name: str,
    sections: Mapping[str, tuple[Sequence[Row], Sequence[str]]],
    summary: dict[str, Any],
    as_json: bool,
    out: TextIO = sys.stdout,
) -> None:
    """Print each section as a table and the summary lines; or everything as one JSON object."""
    if as_json:
        document: dict[str, Any] = {"benchmark": name, "context": run_context()}
        document["summary"] = summary
        document.update({title: list(rows) for title, (rows, _) in sections.items()})
        json.dump(document, out, indent=2, default=str)
        out.write("\n")
        return
    for title, (rows, columns) in sections.items():
        out.write(f"\n{title}\n{format_table(rows, columns)}\n")
    out.write("\n" + "\n".join(f"{key}: {_cell(value)}" for key, value in summary.items()) + "\n")


def progress(message: str) -> None:
    """Progress goes to stderr, so stdout carries only the result (table or JSON)."""
    print(message, file=sys.stderr, flush=True)
