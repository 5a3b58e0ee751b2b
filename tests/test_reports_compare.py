"""`realtime-conformance report`: re-rendering a run from its files, several runs in one
matrix, and --compare OLD NEW listing what changed, new failures first."""

from __future__ import annotations

import io
import re
from pathlib import Path

from realtime_conformance.conformance.cli import main
from realtime_conformance.conformance.reporting.compare import (
    SECTION_ORDER,
    Change,
    as_markdown,
    as_text,
    compare,
)
from realtime_conformance.conformance.reporting.model import load_run
from tests.support.report_runs import fail_record, record, write_run


def old_and_new(tmp_path: Path) -> tuple[Path, Path]:
    old = [
        record("1.1.1", "ga", "PASS"),
        record("5.1.1", "ga", "FAIL"),
        fail_record("ga"),
        record("6.1.1", "ga", "PASS"),
        record("8.1.1", "ga", "PASS"),
    ]
    new = [
        fail_record("ga", "FAIL"),  # still FAIL, same check: not a change
        record("1.1.1", "ga", "NON-STRICT"),  # other verdict change
        record("5.1.1", "ga", "PASS"),  # fixed
        record("6.1.1", "ga", "FAIL", failures=[]),  # new failure
        record("7.1.1", "ga", "FAIL"),  # new case, failing: a new failure too
    ]
    return write_run(tmp_path / "old", old, "old-run"), write_run(tmp_path / "new", new, "new-run")


def test_changes_are_sorted_into_sections_new_failures_first(tmp_path: Path) -> None:
    old, new = old_and_new(tmp_path)
    result = compare(load_run(old).document, load_run(new).document)
    found = {name: [c.node_id for c in changes] for name, changes in result.sections.items()}
    assert found["new failures"] == ["6.1.1[ga]"]
    assert found["fixed"] == ["5.1.1[ga]"]
    assert found["other verdict changes"] == ["1.1.1[ga]"]
    assert found["only in the new run"] == ["7.1.1[ga]"]
    assert found["only in the old run"] == ["8.1.1[ga]"]
    assert all("5.4.2[ga]" not in node_ids for node_ids in found.values())
    text = as_text(result, "old-run", "new-run")
    assert text.index("new failures (1)") < text.index("fixed (1)") < text.index("only in")
    assert "6.1.1[ga]      PASS → FAIL" in text


def test_markdown_escapes_table_cells(tmp_path: Path) -> None:
    old, new = old_and_new(tmp_path)
    result = compare(load_run(old).document, load_run(new).document)
    result.sections["new failures"][0] = Change("6.1.1[ga]", "a | b", "PASS", "FAIL", "why\nnot")
    markdown = as_markdown(result, "old-run", "new-run")
    assert "| `6.1.1[ga]` | PASS → FAIL | a \\| b | why not |" in markdown
    assert markdown.index("### New failures") < markdown.index("### Fixed")
    assert SECTION_ORDER[0] == "new failures"


def test_report_compare_exits_1_on_new_failures_and_writes_markdown(tmp_path: Path) -> None:
    old, new = old_and_new(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    markdown = tmp_path / "diff.md"
    args = ["report", "--compare", str(old), str(new / "results.json"), "--markdown", str(markdown)]
    assert main(args, out, err) == 1
    assert out.getvalue().startswith("compare old-run → new-run\n\nnew failures (1):")
    assert markdown.read_text(encoding="utf-8").startswith("## Conformance: `old-run` → `new-run`")
    assert main(["report", "--compare", str(old), str(old)], io.StringIO(), err) == 0


def test_report_re_renders_a_run_from_its_files(tmp_path: Path) -> None:
    _, new = old_and_new(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    assert main(["report", str(new)], out, err) == 0, err.getvalue()
    assert out.getvalue() == f"report: {new / 'index.html'}\n"
    assert (new / "cases" / "6.1.1-ga.html").is_file() and (new / "ctrf.json").is_file()


def test_report_on_a_directory_without_results_is_a_usage_error(tmp_path: Path) -> None:
    err = io.StringIO()
    assert main(["report", str(tmp_path)], io.StringIO(), err) == 2
    assert err.getvalue().startswith("realtime-conformance report: cannot read ")
    assert main(["report"], io.StringIO(), io.StringIO()) == 2


def test_several_runs_get_one_matrix_with_a_column_per_client_and_dialect(tmp_path: Path) -> None:
    cases = [fail_record("ga"), record("1.1.1", "beta", "PASS")]
    vendor = write_run(tmp_path / "runs" / "a", cases, "run-a", "vendor-bot (vendor.adapter:make)")
    reference = write_run(tmp_path / "runs" / "b", [record("1.1.1", "ga", "PASS")], "run-b")
    out, err = io.StringIO(), io.StringIO()
    matrix = tmp_path / "matrix"
    assert main(["report", str(vendor), str(reference), "--output", str(matrix)], out, err) == 0
    assert out.getvalue().endswith(f"matrix: {matrix / 'index.html'}\n")
    html = (matrix / "index.html").read_text(encoding="utf-8")
    assert "<th>vendor-bot<br>run-a<br>ga</th>" in html
    assert "<th>synthetic<br>run-b<br>ga</th>" in html
    links = re.findall(r'href="([^"]+)"', html)
    assert "../runs/a/cases/5.4.2-ga.html" in links
    for link in links:
        assert (matrix / link).is_file(), link
    assert main(["report", str(vendor), str(reference)], io.StringIO(), err) == 2
    assert "several runs need --output DIR" in err.getvalue()
