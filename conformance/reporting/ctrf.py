"""ctrf.json: the run in the Common Test Report Format (CTRF 0.0.0, ctrf.io), which CI
dashboards read. Statuses map as junit.xml does: FAIL fails; NON-STRICT, UNIMPLEMENTED and
KNOWN-DEVIATION are skipped; INFORMATIONAL is `other`; the verdict itself is `rawStatus`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from realtime_conformance.conformance.reporting.model import CaseRecord, category_label
from realtime_conformance.conformance.verdicts import Verdict

SPEC_VERSION = "0.0.0"
STATUS = {
    Verdict.PASS.value: "passed",
    Verdict.FAIL.value: "failed",
    Verdict.NON_STRICT.value: "skipped",
    Verdict.UNIMPLEMENTED.value: "skipped",
    Verdict.KNOWN_DEVIATION.value: "skipped",
    Verdict.INFORMATIONAL.value: "other",
}


def _epoch_ms(stamp: object) -> int:
    try:
        return int(datetime.fromisoformat(str(stamp)).timestamp() * 1000)
    except ValueError:
        return 0


def _test(case: CaseRecord) -> dict[str, Any]:
    failures = case.get("failures") or []
    test: dict[str, Any] = {
        "name": f"{case['node_id']} {case['title']}",
        "status": STATUS[str(case["verdict"])],
        "rawStatus": str(case["verdict"]),
        "duration": round(float(case.get("duration_ms", 0))),
        "suite": [category_label(str(case["category"]))],
        "tags": [str(case["level"]), str(case["dialect"]), *case.get("needs", [])],
        "labels": {
            "case": str(case["id"]),
            "dialect": str(case["dialect"]),
            "level": str(case["level"]),
            "requirement": str(case["requirement"]),
        },
        "type": "conformance",
    }
    message = case.get("reason") or (failures[0].get("actual") if failures else None)
    if message:
        test["message"] = str(message)
    if failures:
        test["trace"] = "\n\n".join(str(f.get("text", f.get("actual", ""))) for f in failures)
    if case.get("recording"):
        test["filePath"] = str(case["recording"])
    if case.get("measurements"):
        test["extra"] = {"measurements": dict(case["measurements"])}
    return test


def ctrf_document(results: dict[str, Any]) -> dict[str, Any]:
    run, cases = results["run"], results["cases"]
    tests = [_test(case) for case in cases]
    counted = {status: sum(t["status"] == status for t in tests) for status in set(STATUS.values())}
    start, stop = _epoch_ms(run.get("started_at")), _epoch_ms(run.get("finished_at"))
    return {
        "reportFormat": "CTRF",
        "specVersion": SPEC_VERSION,
        "reportId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"realtime-conformance:{run['id']}")),
        "timestamp": str(run.get("finished_at")),
        "generatedBy": f"realtime-conformance {run.get('harness_version', '')}".strip(),
        "results": {
            "tool": {"name": "realtime-conformance", "version": str(run.get("harness_version"))},
            "summary": {
                "tests": len(tests),
                "passed": counted.get("passed", 0),
                "failed": counted.get("failed", 0),
                "skipped": counted.get("skipped", 0),
                "pending": 0,
                "other": counted.get("other", 0),
                "start": start,
                "stop": max(stop, start),
                "duration": max(stop - start, 0),
                "extra": {"verdicts": dict(results.get("totals", {}))},
            },
            "tests": tests,
            "environment": {
                "reportName": f"conformance run {run['id']}",
                "appName": str(run.get("client")),
                "osPlatform": str(run.get("platform")),
                "healthy": bool(results.get("passed")),
                "extra": {"dialects": run.get("dialects", []), "strict": run.get("strict")},
            },
        },
    }
