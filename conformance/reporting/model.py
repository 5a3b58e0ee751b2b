"""A run as the reports read it back: results.json and the recordings beside it.

Reports are rendered from these files only (never from live objects), so `realtime-conformance
report DIR` re-renders exactly what `run` rendered, and a run can be rendered on another machine.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from realtime_conformance.conformance.recording import CaseRecording, RecordingError
from realtime_conformance.fixtures import SCENARIOS_ROOT

RESULTS_FILE, INDEX_FILE = "results.json", "index.html"
CASES_DIR = "cases"

CaseRecord = dict[str, Any]


class ReportError(ValueError):
    """A results directory the reports cannot read (one line: the file and what is wrong)."""


@cache
def category_names() -> dict[str, str]:
    """Category number -> name, from the catalogue's folders (`5-response` -> 5: response)."""
    names = {}
    for folder in SCENARIOS_ROOT.iterdir():
        number, _, name = folder.name.partition("-")
        if folder.is_dir() and number.isdigit():
            names[number] = name.replace("-", " ")
    return names


def category_label(category: str) -> str:
    name = category_names().get(category)
    return f"{category}. {name}" if name else category


def page_name(node_id: str) -> str:
    """A case page's file name, relative to the run's directory (no brackets in file names)."""
    safe = node_id.replace("[", "-").replace("]", "")
    return f"{CASES_DIR}/{safe}.html"


def column_of(case: CaseRecord) -> str:
    """The matrix column a case run belongs to: the dialect it ran in."""
    return str(case["dialect"])


@dataclass
class ReportRun:
    """results.json of one run, with its recordings loaded on demand."""

    directory: Path
    document: dict[str, Any]
    _recordings: dict[str, CaseRecording | None] = field(default_factory=dict, repr=False)

    @property
    def cases(self) -> list[CaseRecord]:
        cases: list[CaseRecord] = self.document["cases"]
        return cases

    @property
    def run(self) -> dict[str, Any]:
        run: dict[str, Any] = self.document["run"]
        return run

    def columns(self) -> list[str]:
        seen = [column_of(case) for case in self.cases]
        ordered = [d for d in self.run.get("dialects", []) if d in seen]
        return ordered + sorted(set(seen) - set(ordered))

    def preload(self, recordings: Mapping[str, CaseRecording | None]) -> None:
        self._recordings.update(recordings)

    def recording(self, case: CaseRecord) -> CaseRecording | None:
        """The case's two-sided recording, or None when it has none or it cannot be read
        (the page then says so instead of failing the whole report)."""
        node_id = str(case["node_id"])
        if node_id not in self._recordings:
            self._recordings[node_id] = self._load(case.get("recording"))
        return self._recordings[node_id]

    def _load(self, relative: object) -> CaseRecording | None:
        if not isinstance(relative, str):
            return None
        try:
            return CaseRecording.load(self.directory / relative)
        except (OSError, RecordingError):
            return None


def load_run(directory: Path) -> ReportRun:
    path = directory / RESULTS_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ReportError(f"cannot read {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise ReportError(f"{path}: not JSON ({error.msg}, line {error.lineno})") from None
    if not isinstance(document, dict) or not isinstance(document.get("cases"), list):
        raise ReportError(f"{path}: not a results.json (no `cases` list)")
    return ReportRun(directory, document)
