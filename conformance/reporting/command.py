"""`realtime-conformance report`: re-render a run's reports, or compare two runs.

    realtime-conformance report RESULTS_DIR
    realtime-conformance report RUN_A RUN_B ... --output DIR   (one matrix, a column per client
                                                                and dialect)
    realtime-conformance report --compare OLD NEW [--markdown FILE]

OLD and NEW are results directories (or their results.json). Exit status of --compare: 1 when
the new run has new failures, else 0; 2 for a usage error (a directory without results).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from realtime_conformance.conformance.reporting.compare import as_markdown, as_text, compare
from realtime_conformance.conformance.reporting.index_page import combined_page
from realtime_conformance.conformance.reporting.model import (
    INDEX_FILE,
    RESULTS_FILE,
    ReportError,
    ReportRun,
    load_run,
)
from realtime_conformance.conformance.reporting.render import write_reports

EXIT_OK, EXIT_CHANGED, EXIT_USAGE = 0, 1, 2


def _run_dir(path: Path) -> Path:
    return path.parent if path.name == RESULTS_FILE else path


def _compare(old_path: Path, new_path: Path, markdown: Path | None, out: TextIO) -> int:
    old, new = load_run(_run_dir(old_path)), load_run(_run_dir(new_path))
    result = compare(old.document, new.document)
    ids = _label(old), _label(new)
    out.write(as_text(result, *ids))
    if markdown is not None:
        markdown.write_text(as_markdown(result, *ids), encoding="utf-8")
        print(f"markdown: {markdown}", file=out)
    return EXIT_CHANGED if result.new_failures else EXIT_OK


def _label(run: ReportRun) -> str:
    return str(run.run.get("id") or run.directory)


def _render(directories: list[Path], output: Path | None, out: TextIO, err: TextIO) -> int:
    if not directories:
        print("realtime-conformance report: give RESULTS_DIR or --compare OLD NEW", file=err)
        return EXIT_USAGE
    if len(directories) > 1 and output is None:
        print("realtime-conformance report: several runs need --output DIR", file=err)
        return EXIT_USAGE
    for directory in directories:
        print(f"report: {write_reports(directory)}", file=out)
    if len(directories) > 1 and output is not None:
        output.mkdir(parents=True, exist_ok=True)
        runs = [load_run(directory) for directory in directories]
        (output / INDEX_FILE).write_text(combined_page(runs, output), encoding="utf-8")
        print(f"matrix: {output / INDEX_FILE}", file=out)
    return EXIT_OK


def run_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        if args.compare:
            return _compare(args.compare[0], args.compare[1], args.markdown, out)
        return _render([_run_dir(path) for path in args.results], args.output, out, err)
    except ReportError as error:
        print(f"realtime-conformance report: {error}", file=err)
        return EXIT_USAGE
