"""Verdicts, graded like Autobahn|Testsuite, and the known-deviations file.

- PASS: every check held.
- NON-STRICT: only SHOULD-level requirements failed (a SHOULD case, or SHOULD checks).
- INFORMATIONAL: the case is reported, never failing (`informational: true`), or only INFO-level
  checks spoke.
- UNIMPLEMENTED: the client lacks a capability the case needs (or no driver call can bring
  about what the case needs: the reason says which).
- FAIL: a MUST-level requirement failed.
- KNOWN-DEVIATION: a FAIL the client's known-deviations file lists, with its reason; shown as
  such in every report, never as PASS.

A known-deviations file is YAML: a list of `{case: ID, reason: TEXT}`, where ID is a case id,
a node id with its dialect (`5.4.2[beta]`) or an fnmatch pattern (`8.*`).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml


class Verdict(StrEnum):
    PASS = "PASS"
    NON_STRICT = "NON-STRICT"
    INFORMATIONAL = "INFORMATIONAL"
    UNIMPLEMENTED = "UNIMPLEMENTED"
    FAIL = "FAIL"
    KNOWN_DEVIATION = "KNOWN-DEVIATION"

    @property
    def fails_run(self) -> bool:
        """Only a MUST failure fails a run (exit status 1, a failing JUnit testcase)."""
        return self is Verdict.FAIL


VERDICT_ORDER = tuple(Verdict)


def grade(
    failure_levels: Iterable[str],
    *,
    strict_case: bool,
    informational: bool = False,
    unimplemented: bool = False,
) -> Verdict:
    """The verdict of one case run from the levels ("MUST", "SHOULD", "INFO") of its failures."""
    if unimplemented:
        return Verdict.UNIMPLEMENTED
    levels = set(failure_levels)
    if informational:
        return Verdict.INFORMATIONAL
    if not levels:
        return Verdict.PASS
    if "MUST" in levels and not strict_case:
        return Verdict.FAIL
    if levels & {"MUST", "SHOULD"}:
        return Verdict.NON_STRICT
    return Verdict.INFORMATIONAL


NODE_ID = re.compile(r"^(?P<id>.*)\[(?P<dialect>ga|beta)\]$")


def pattern_covers(pattern: str, case_id: str, dialect: str) -> bool:
    """A case id pattern (fnmatch), optionally with a dialect (`5.4.*[beta]`); `5.4` also
    covers `5.4.*`. The brackets of a node id are not an fnmatch character set."""
    named = NODE_ID.match(pattern)
    if named is not None:
        if named["dialect"] != dialect:
            return False
        pattern = named["id"]
    return fnmatch.fnmatchcase(case_id, pattern) or fnmatch.fnmatchcase(case_id, f"{pattern}.*")


class DeviationsError(ValueError):
    """A known-deviations file that cannot be read: the file and what is wrong."""


@dataclass(frozen=True)
class Deviation:
    pattern: str
    reason: str

    def covers(self, case_id: str, dialect: str) -> bool:
        return pattern_covers(self.pattern, case_id, dialect)


@dataclass(frozen=True)
class KnownDeviations:
    entries: tuple[Deviation, ...] = ()
    source: str = ""

    def reason_for(self, case_id: str, node_id: str) -> str | None:
        dialect = node_id[len(case_id) :].strip("[]")
        found = next((d for d in self.entries if d.covers(case_id, dialect)), None)
        return found.reason if found else None

    def apply(self, verdict: Verdict, case_id: str, node_id: str) -> tuple[Verdict, str | None]:
        """A listed FAIL becomes KNOWN-DEVIATION with its reason; anything else stays."""
        reason = self.reason_for(case_id, node_id) if verdict is Verdict.FAIL else None
        return (Verdict.KNOWN_DEVIATION, reason) if reason else (verdict, None)


def _entry(item: Any, index: int, source: str) -> Deviation:
    if not isinstance(item, Mapping) or not isinstance(item.get("case"), str | int | float):
        raise DeviationsError(f"{source}: entry {index + 1} needs `case: ID` and `reason: TEXT`")
    reason = item.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise DeviationsError(f"{source}: entry {index + 1} ({item['case']}) needs a reason")
    return Deviation(str(item["case"]), reason.strip())


def parse_deviations(text: str, source: str = "<string>") -> KnownDeviations:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise DeviationsError(f"{source}: not YAML: {error}") from None
    if data is None:
        return KnownDeviations((), source)
    if isinstance(data, Mapping) and "deviations" in data:
        data = data["deviations"]
    if not isinstance(data, list):
        raise DeviationsError(f"{source}: expected a list of {{case, reason}} entries")
    return KnownDeviations(tuple(_entry(item, i, source) for i, item in enumerate(data)), source)


def load_deviations(path: Path | str | None) -> KnownDeviations:
    if path is None:
        return KnownDeviations()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise DeviationsError(f"cannot read {path}: {error.strerror}") from None
    return parse_deviations(text, str(path))
