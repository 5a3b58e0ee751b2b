"""write_reports: every report of a run, from its results directory (see the package doc)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from realtime_conformance.conformance.recording import CaseRecording
from realtime_conformance.conformance.reporting.case_page import case_page
from realtime_conformance.conformance.reporting.coverage import run_coverage
from realtime_conformance.conformance.reporting.ctrf import ctrf_document
from realtime_conformance.conformance.reporting.index_page import index_page
from realtime_conformance.conformance.reporting.model import (
    INDEX_FILE,
    RESULTS_FILE,
    load_run,
    page_name,
)

CTRF_FILE, JUNIT_FILE = "ctrf.json", "junit.xml"


def _dump(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def write_reports(
    directory: Path, recordings: Mapping[str, CaseRecording | None] | None = None
) -> Path:
    """Render every report of the run in `directory`; returns the index.html path.
    `recordings` (node id -> recording) spares reading back what the caller still holds (the
    same recordings it wrote there); any other is read from the directory."""
    from realtime_conformance.conformance.results import junit_xml  # noqa: PLC0415 - results imports the runner

    run = load_run(directory)
    run.preload(recordings or {})
    coverage = run_coverage(run)
    run.document["coverage"] = coverage
    (directory / RESULTS_FILE).write_text(_dump(run.document), encoding="utf-8")
    (directory / JUNIT_FILE).write_bytes(junit_xml(run.document))
    (directory / CTRF_FILE).write_text(_dump(ctrf_document(run.document)), encoding="utf-8")
    for case in run.cases:
        path = directory / page_name(str(case["node_id"]))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(case_page(case, run.recording(case)), encoding="utf-8")
    index = directory / INDEX_FILE
    index.write_text(index_page(run, coverage), encoding="utf-8")
    return index
