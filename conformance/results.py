"""The results of a run, machine-readable: results.json (schemas/results.schema.json) and
junit.xml, plus each case's recording as JSONL (the wire log reports render).

Case records are plain dicts, so that xdist workers can ship them to the controller, which
merges them into one run (`merge`) in a stable order: by case id, then GA before beta. What
depends on the machine (durations, dates) is kept apart from what depends on the client
(`comparable` strips it), so two runs of one client compare equal whatever the scheduling.
"""

from __future__ import annotations

import json
import platform
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from realtime_conformance.conformance.checks.registry import format_failure
from realtime_conformance.conformance.reproduce import reproduce_line
from realtime_conformance.conformance.runner import CaseResult
from realtime_conformance.conformance.verdicts import Verdict

FORMAT = "realtime-conformance/results/1"
RECORDINGS_DIR = "recordings"
TIMING_KEYS = ("duration_ms", "measurements")  # case keys that vary from run to run
SEEDED_KEYS = ("reproduce",)  # case keys that name the run's seed
DIALECT_ORDER = {"ga": 0, "beta": 1}


def case_record(
    result: CaseResult, client_args: Sequence[str] = (), seed: int | None = None
) -> dict[str, Any]:
    """One case run as results.json holds it; `client_args` and `seed` as the run was given
    them, for its reproduce line (conformance.reproduce)."""
    case = result.case
    reproduce = reproduce_line(case.id, result.dialect, case.strict, client_args, seed)
    return {
        "node_id": result.node_id,
        "id": case.id,
        "dialect": result.dialect,
        "title": case.title,
        "requirement": case.requirement,
        "level": case.level,
        "category": case.id.split(".")[0],
        "timing": case.timing,
        "needs": sorted(case.needs),
        "verdict": result.verdict.value,
        "reason": result.reason,
        "failures": [
            {**failure.to_dict(), "text": format_failure(case.id, case.title, failure, reproduce)}
            for failure in result.failures
        ],
        "reproduce": reproduce,
        "unavailable_checks": list(result.unavailable_checks),
        "recording": recording_path(result.node_id) if result.recording is not None else None,
        "duration_ms": round(result.duration_ms, 1),
        "measurements": dict(result.measurements),
    }


def recording_path(node_id: str) -> str:
    """Where a case's recording goes, relative to the results directory."""
    safe = node_id.replace("[", "-").replace("]", "")
    return f"{RECORDINGS_DIR}/{safe}.jsonl"


def _order(record: Mapping[str, Any]) -> tuple[list[int], int]:
    ids = [int(part) for part in str(record["id"]).split(".")]
    return ids, DIALECT_ORDER.get(str(record["dialect"]), 9)


def merge(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Case records from any number of workers as one list, in case order."""
    return sorted((dict(record) for record in records), key=_order)


def totals(records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    counted = Counter(str(record["verdict"]) for record in records)
    return {verdict.value: counted.get(verdict.value, 0) for verdict in Verdict}


def must_failed(records: Iterable[Mapping[str, Any]]) -> bool:
    return any(record["verdict"] == Verdict.FAIL.value for record in records)


def _version() -> str:
    try:
        return metadata.version("realtime-conformance")
    except metadata.PackageNotFoundError:
        return "unknown"


@dataclass
class RunInfo:
    """What a run was: its id, the client, the selection, where and when."""

    run_id: str
    client: str
    capabilities: list[str]
    dialects: list[str]
    strict: bool
    selection: list[str]
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    workers: int = 1
    seed: int | None = None  # the mock's seed (`run --seed N` replays the run's ids and text)

    def as_dict(self, finished_at: datetime) -> dict[str, Any]:
        return {
            "id": self.run_id,
            "client": self.client,
            "capabilities": sorted(self.capabilities),
            "dialects": list(self.dialects),
            "strict": self.strict,
            "selection": list(self.selection),
            "harness_version": _version(),
            "python": platform.python_version(),
            "platform": sys.platform,
            "workers": self.workers,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "finished_at": finished_at.isoformat(timespec="seconds"),
            "duration_s": round((finished_at - self.started_at).total_seconds(), 2),
            **({"seed": self.seed} if self.seed is not None else {}),
        }


def document(info: RunInfo, records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    cases = merge(records)
    return {
        "format": FORMAT,
        "run": info.as_dict(datetime.now(UTC)),
        "totals": totals(cases),
        "passed": not must_failed(cases),
        "cases": cases,
    }


def comparable(results: Mapping[str, Any]) -> dict[str, Any]:
    """results.json without what varies between two runs of one client (times, worker
    count, measurements, the seed): what `-n 0` and `-n 2` must agree on."""
    varying = TIMING_KEYS + SEEDED_KEYS
    cases = [{k: v for k, v in case.items() if k not in varying} for case in results["cases"]]
    for case in cases:
        case["failures"] = [
            {k: v for k, v in f.items() if k not in ("at_ms", "measurements", "text")}
            for f in case["failures"]
        ]
    run = {k: results["run"][k] for k in ("client", "dialects", "strict", "selection")}
    return {"format": results["format"], "run": run, "totals": results["totals"], "cases": cases}


# --- JUnit XML ---------------------------------------------------------------------------------

_SKIPPED = {Verdict.NON_STRICT, Verdict.UNIMPLEMENTED, Verdict.KNOWN_DEVIATION}


def _testcase(record: Mapping[str, Any]) -> ET.Element:
    element = ET.Element(
        "testcase",
        classname=f"realtime_conformance.conformance.{record['category']}",
        name=str(record["node_id"]),
        time=f"{float(record['duration_ms']) / 1000:.3f}",
    )
    # the verdict is told in the text, not in testcase <properties>: the JUnit XSD that CI
    # servers publish (Jenkins xunit-plugin junit-10.xsd) allows properties only on testsuite
    about = f"{record['verdict']} ({record['level']}): {record['requirement']}"
    texts = "\n\n".join([about, *(str(f["text"]) for f in record["failures"])])
    verdict = Verdict(record["verdict"])
    if verdict is Verdict.FAIL:
        first = record["failures"][0]["actual"] if record["failures"] else "failed"
        failure = ET.SubElement(element, "failure", message=str(first), type="FAIL")
        failure.text = texts
    elif verdict in _SKIPPED:
        message = f"{verdict.value}: {record['reason'] or record['requirement']}"
        ET.SubElement(element, "skipped", message=message)
        ET.SubElement(element, "system-out").text = texts
    else:
        ET.SubElement(element, "system-out").text = texts
    return element


def junit_xml(results: Mapping[str, Any]) -> bytes:
    """One testsuite, one testcase per case and dialect; only FAIL fails (SHOULD failures,
    UNIMPLEMENTED and known deviations are <skipped> with the verdict in the message)."""
    cases = results["cases"]
    counted = Counter(str(case["verdict"]) for case in cases)
    skipped = sum(counted[v.value] for v in _SKIPPED)
    suite = ET.Element(
        "testsuite",
        name="realtime-conformance",
        tests=str(len(cases)),
        failures=str(counted[Verdict.FAIL.value]),
        errors="0",
        skipped=str(skipped),
        time=f"{float(results['run']['duration_s']):.3f}",
        timestamp=str(results["run"]["started_at"]),
    )
    properties = ET.SubElement(suite, "properties")
    for key in ("id", "client", "harness_version"):
        ET.SubElement(properties, "property", name=f"run.{key}", value=str(results["run"][key]))
    suite.extend(_testcase(case) for case in cases)
    root = ET.Element("testsuites", name="realtime-conformance")
    root.append(suite)
    ET.indent(root)
    written: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return written


def write_results(directory: Path, results: Mapping[str, Any]) -> Path:
    """results.json and junit.xml into `directory`; returns the results.json path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "results.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (directory / "junit.xml").write_bytes(junit_xml(results))
    return path


def write_recordings(directory: Path, results: Iterable[CaseResult]) -> None:
    """Each case's recording as JSONL beside results.json (recordings/<node>.jsonl)."""
    for result in results:
        if result.recording is not None:
            path = directory / recording_path(result.node_id)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(result.recording.dumps(), encoding="utf-8")
