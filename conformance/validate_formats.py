"""How `realtime-conformance validate` writes its outcome: text, JSON, JUnit XML or GitHub
Actions annotations (https://docs.github.com/actions/reference/workflow-commands)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # `realtime-conformance --help` does not load the schema machinery
    from realtime_conformance.conformance.checks.schema import LineProblem, SchemaReport

JSON_FORMAT = "realtime-conformance/validate/1"
NOTHING_CHECKED = "nothing checked: no event line (pass --allow-empty if that is expected)"


@dataclass(frozen=True)
class Unreadable:
    """A transcript that could not be read, and why."""

    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


@dataclass
class Outcome:
    reports: list[SchemaReport]
    unreadable: list[Unreadable]
    allow_empty: bool = False

    def empty(self, report: SchemaReport) -> bool:
        return report.events_checked == 0 and not report.problems and not self.allow_empty

    def passed(self, report: SchemaReport) -> bool:
        return report.ok and not self.empty(report)

    @property
    def ok(self) -> bool:
        return not self.unreadable and all(self.passed(report) for report in self.reports)

    def totals(self) -> dict[str, int]:
        return {
            "transcripts": len(self.reports) + len(self.unreadable),
            "passed": sum(self.passed(report) for report in self.reports),
            "failed": sum(not self.passed(report) for report in self.reports),
            "unreadable": len(self.unreadable),
            "events_checked": sum(report.events_checked for report in self.reports),
            "invalid_lines": sum(len(report.invalid_lines) for report in self.reports),
            "problems": sum(len(report.problems) for report in self.reports),
        }


def harness_version() -> str:
    try:
        return metadata.version("realtime-conformance")
    except metadata.PackageNotFoundError:
        return "unknown"


def summary_line(report: SchemaReport, outcome: Outcome) -> str:
    apis = ", ".join(
        sorted(
            f"{api} {report.dialect.upper()}" if api == "realtime" else api for api in report.apis
        )
    )
    skipped = sum(report.skipped.values())
    verdict = "OK" if report.ok else f"{len(report.invalid_lines)} invalid line(s)"
    if outcome.empty(report):
        verdict = NOTHING_CHECKED
    parts = [f"{report.events_checked} events checked" + (f" ({apis})" if apis else "")]
    if skipped:
        reasons = "; ".join(f"{count} {reason}" for reason, count in sorted(report.skipped.items()))
        parts.append(f"{skipped} lines skipped: {reasons}")
    return f"{report.source}: {', '.join(parts)}: {verdict}"


def write_text(outcome: Outcome, out: TextIO) -> None:
    for report in outcome.reports:
        print(summary_line(report, outcome), file=out)
        for problem in report.problems:
            print(f"  {report.source}:{problem}", file=out)
    for unreadable in outcome.unreadable:
        print(f"{unreadable.source}: not checked: {unreadable.reason}", file=out)


def _problem_dict(problem: LineProblem) -> dict[str, Any]:
    p = problem.problem
    return {
        "line": problem.line,
        "event": p.event,
        "path": p.path,
        "kind": p.kind,
        "expected": p.expected,
        "actual": p.actual,
    }


def write_json(outcome: Outcome, out: TextIO) -> None:
    document = {
        "format": JSON_FORMAT,
        "harness_version": harness_version(),
        "ok": outcome.ok,
        "totals": outcome.totals(),
        "transcripts": [
            {
                "source": report.source,
                "ok": outcome.passed(report),
                "nothing_checked": outcome.empty(report),
                "events_checked": report.events_checked,
                "dialect": report.dialect,
                "apis": sorted(report.apis),
                "skipped": dict(report.skipped),
                "problems": [_problem_dict(p) for p in report.problems],
            }
            for report in outcome.reports
        ],
        "unreadable": [{"source": u.source, "reason": u.reason} for u in outcome.unreadable],
    }
    json.dump(document, out, indent=2, ensure_ascii=False)
    out.write("\n")


def write_junit(outcome: Outcome, out: TextIO) -> None:
    """One test case per transcript, in one suite."""
    totals = outcome.totals()
    suite = ET.Element(
        "testsuite",
        name="realtime-conformance validate",
        tests=str(totals["transcripts"]),
        failures=str(totals["failed"]),
        errors=str(totals["unreadable"]),
    )
    for report in outcome.reports:
        case = ET.SubElement(suite, "testcase", classname="validate", name=report.source)
        if not outcome.passed(report):
            lines = [str(p) for p in report.problems] or [NOTHING_CHECKED]
            failure = ET.SubElement(case, "failure", message=lines[0])
            failure.text = "\n".join(lines)
    for unreadable in outcome.unreadable:
        case = ET.SubElement(suite, "testcase", classname="validate", name=unreadable.source)
        ET.SubElement(case, "error", message=f"cannot read: {unreadable.reason}")
    ET.indent(suite)
    out.write(ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n")


def _escape(text: str, *, property_value: bool = False) -> str:
    """Workflow-command escaping (as @actions/core does)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def write_github(outcome: Outcome, out: TextIO) -> None:
    """`::error file=F,line=N::message` per problem, so the job's summary points at the line."""
    for report in outcome.reports:
        where = f"file={_escape(report.source, property_value=True)}"
        for problem in report.problems:
            out.write(f"::error {where},line={problem.line}::{_escape(str(problem.problem))}\n")
        if outcome.empty(report):
            out.write(f"::error {where}::{_escape(NOTHING_CHECKED)}\n")
    for unreadable in outcome.unreadable:
        where = f"file={_escape(unreadable.source, property_value=True)}"
        out.write(f"::error {where}::{_escape('cannot read: ' + unreadable.reason)}\n")
    totals = outcome.totals()
    out.write(
        f"{totals['transcripts']} transcript(s), {totals['events_checked']} events checked, "
        f"{totals['problems']} problem(s), {totals['unreadable']} unreadable\n"
    )


FORMATS: dict[str, Callable[[Outcome, TextIO], None]] = {
    "text": write_text,
    "json": write_json,
    "junit": write_junit,
    "github": write_github,
}
