"""Every shell and Python example of docs/ runs, and shows what it really prints.

The block conventions are tests/support/doc_blocks.py's (stated for writers in docs/index.md).
One test per runnable block, named by page and line; the blocks of a page run in order in one
fresh directory, so a block's test first runs the blocks above it (once per process).
"""

from __future__ import annotations

import fcntl
import importlib.util
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.doc_blocks import (
    RUNNABLE,
    Block,
    Outcome,
    console_commands,
    missing_output,
    read_blocks,
    run_block,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCS = REPO_ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
LINK = re.compile(r"\]\(([^)#\s]+)(#[^)]*)?\)")


def _runnable_blocks() -> list[Block]:
    """The blocks that run (a block that only writes a file is run by the next one's test)."""
    blocks = [block for page in PAGES for block in read_blocks(page)]
    return [block for block in blocks if block.lang in RUNNABLE and "file" not in block.directives]


def _block_id(block: Block) -> str:
    return f"{block.page.relative_to(DOCS)}:{block.line}"


@dataclass
class PageRun:
    """A page's blocks, run once per test run in one directory shared by the xdist workers:
    whichever worker asks first runs the blocks up to the one it needs (under the page's
    lock) and writes their outcomes beside them, so no worker runs a page's blocks again."""

    directory: Path
    blocks: list[Block]

    def outcome_of(self, line: int) -> Outcome:
        self.directory.mkdir(exist_ok=True)
        with (self.directory / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            outcomes = self._read_outcomes()
            for block in self.blocks:
                if block.line > line:
                    break
                acts = block.runs or "file" in block.directives
                if acts and block.skip_reason is None and str(block.line) not in outcomes:
                    outcomes[str(block.line)] = asdict(run_block(block, self.directory))
                    self._write_outcomes(outcomes)
        return Outcome(**outcomes[str(line)])

    def _read_outcomes(self) -> dict[str, dict[str, Any]]:
        path = self.directory / ".outcomes.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def _write_outcomes(self, outcomes: dict[str, dict[str, Any]]) -> None:
        (self.directory / ".outcomes.json").write_text(json.dumps(outcomes), encoding="utf-8")


@pytest.fixture(scope="session")
def page_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, PageRun]:
    """One directory per page, below the run's base temp (pytest keeps the last few runs'):
    under xdist the workers' base temps share a parent, and a page's directory is there."""
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "docs-pages"
    root.mkdir(exist_ok=True)
    return {
        page: PageRun(root / f"{number}-{page.stem}", read_blocks(page))
        for number, page in enumerate(PAGES)
    }


@pytest.mark.parametrize("block", _runnable_blocks(), ids=_block_id)
def test_doc_block(block: Block, page_runs: dict[Path, PageRun]) -> None:
    if block.skip_reason is not None:
        pytest.skip(f"not run: {block.skip_reason}")
    outcome = page_runs[block.page].outcome_of(block.line)
    assert outcome.ok, f"{_block_id(block)}: {outcome.message}"


def test_every_runnable_block_runs_or_says_why_not() -> None:
    blocks = _runnable_blocks()
    assert blocks, "docs/ has no runnable block"
    unexplained = [_block_id(b) for b in blocks if b.skip_reason == ""]
    assert not unexplained, f"`not run:` without a reason: {unexplained}"
    skipped = [b for b in blocks if b.skip_reason is not None]
    assert len(skipped) <= len(blocks) // 4, "most examples must run; skip only what CI cannot do"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(DOCS)))
def test_relative_links_resolve(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    broken = [
        target
        for target, _anchor in LINK.findall(text)
        if "://" not in target
        and not target.startswith("mailto:")
        and not (page.parent / target).exists()
    ]
    assert not broken, f"{page.relative_to(REPO_ROOT)} links to missing files: {broken}"


def test_generated_pages_are_current() -> None:
    """docs/reference/cli.md and the tolerance table are what tools/gen_docs.py writes now."""
    spec = importlib.util.spec_from_file_location("gen_docs", REPO_ROOT / "tools" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    for path, text in generator.rendered().items():
        committed = path.read_text(encoding="utf-8")
        assert committed == text, f"{path.relative_to(REPO_ROOT)} is stale: run tools/gen_docs.py"


def test_shown_output_is_matched_in_order_with_ellipses() -> None:
    """The matcher the console blocks rely on is not a rubber stamp."""
    printed = "run 42: 1 case runs\nseed 7\n[1/1] PASS  5.1.1[ga] Text turn (0.4 s)\n"
    assert missing_output(["run ...: 1 case runs", "...", "[1/1] PASS ... (...)"], printed) is None
    assert missing_output(["[1/1] FAIL ..."], printed) == "[1/1] FAIL ..."
    assert missing_output(["seed 7", "run 42: 1 case runs"], printed) == "run 42: 1 case runs"
    assert missing_output(["seed"], printed) == "seed", "a shown line matches a whole line"


def test_console_commands_and_their_output() -> None:
    text = "$ realtime-conformance run \\\n    --case 5.1.1\nrun ...\n$ echo hi\nhi\n"
    commands = console_commands(text)
    assert [c.command for c in commands] == [
        "realtime-conformance run \\\n    --case 5.1.1",
        "echo hi",
    ]
    assert [c.shown_output for c in commands] == [["run ..."], ["hi"]]
