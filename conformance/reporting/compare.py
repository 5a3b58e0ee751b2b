"""`report --compare OLD NEW`: what changed between two runs, new failures first.

Case runs are matched by node id (`5.4.2[ga]`). Sections, in order: new failures (FAIL now,
not before, including new cases that fail), still failing but for other checks, fixed (FAIL
before, not now), other verdict changes, cases only in one run. The same changes render as
text (the terminal) and as Markdown (a pull request comment).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from realtime_conformance.conformance.reporting.model import CaseRecord
from realtime_conformance.conformance.verdicts import Verdict

FAIL = Verdict.FAIL.value


@dataclass(frozen=True)
class Change:
    node_id: str
    title: str
    old: str | None  # verdict before (None: not run)
    new: str | None
    why: str = ""  # the new run's first failure or reason


@dataclass
class Comparison:
    sections: dict[str, list[Change]] = field(default_factory=dict)

    @property
    def new_failures(self) -> list[Change]:
        return self.sections.get("new failures", [])


def _checks(case: CaseRecord | None) -> set[str]:
    return {str(f.get("check")) for f in (case or {}).get("failures", [])}


def _why(case: CaseRecord | None) -> str:
    if case is None:
        return ""
    failures = case.get("failures") or []
    if failures:
        first = failures[0]
        return f"[{first.get('check')}] {first.get('actual')}"
    return str(case.get("reason") or "")


def _section(old: CaseRecord | None, new: CaseRecord | None) -> str | None:
    before = old["verdict"] if old else None
    after = new["verdict"] if new else None
    if old is None or new is None:
        return "only in the new run" if old is None else "only in the old run"
    if after == FAIL and before != FAIL:
        return "new failures"
    if after == FAIL and _checks(old) != _checks(new):
        return "still failing, other checks"
    if before == FAIL and after != FAIL:
        return "fixed"
    return "other verdict changes" if before != after else None


SECTION_ORDER = (
    "new failures", "still failing, other checks", "fixed", "other verdict changes",
    "only in the new run", "only in the old run",
)  # fmt: skip


def compare(old: dict[str, Any], new: dict[str, Any]) -> Comparison:
    before = {str(c["node_id"]): c for c in old["cases"]}
    after = {str(c["node_id"]): c for c in new["cases"]}
    found = Comparison({name: [] for name in SECTION_ORDER})
    for node_id in [*after, *(n for n in before if n not in after)]:
        was, now = before.get(node_id), after.get(node_id)
        section = _section(was, now)
        if section is not None:
            title = str((now or was or {}).get("title", ""))
            found.sections[section].append(
                Change(node_id, title, was and was["verdict"], now and now["verdict"], _why(now))
            )
    return found


def _verdicts(change: Change) -> str:
    return f"{change.old or '–'} → {change.new or '–'}"


def as_text(result: Comparison, old_id: str, new_id: str) -> str:
    lines = [f"compare {old_id} → {new_id}"]
    for name in SECTION_ORDER:
        changes = result.sections.get(name, [])
        if changes:
            lines.append(f"\n{name} ({len(changes)}):")
            for c in changes:
                why = f"\n      {c.why}" if c.why and c.new != Verdict.PASS.value else ""
                lines.append(f"  {c.node_id:<14} {_verdicts(c):<28} {c.title}{why}")
    if len(lines) == 1:
        lines.append("no verdict changed")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def as_markdown(result: Comparison, old_id: str, new_id: str) -> str:
    lines = [f"## Conformance: `{_cell(old_id)}` → `{_cell(new_id)}`", ""]
    for name in SECTION_ORDER:
        changes = result.sections.get(name, [])
        if changes:
            lines += [f"### {name.capitalize()} ({len(changes)})", "",
                      "| case | verdict | title | why |", "|---|---|---|---|"]  # fmt: skip
            lines += [
                f"| `{_cell(c.node_id)}` | {_cell(_verdicts(c))} | {_cell(c.title)} | "
                f"{_cell(c.why)} |"
                for c in changes
            ]
            lines.append("")
    if len(lines) == 2:
        lines.append("No verdict changed.")
    return "\n".join(lines) + "\n"
