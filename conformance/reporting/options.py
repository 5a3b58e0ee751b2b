"""The options of `realtime-conformance report` (light: `--help` imports no reporting code)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "results", nargs="*", type=Path, metavar="RESULTS_DIR",
        help="a run's directory (results.json and recordings/): re-render its reports; several "
        "runs (clients) also get one matrix side by side, in --output",
    )  # fmt: skip
    parser.add_argument(
        "--output", type=Path, metavar="DIR",
        help="with several RESULTS_DIRs: where their combined matrix (index.html) goes",
    )  # fmt: skip
    parser.add_argument(
        "--compare", nargs=2, type=Path, metavar=("OLD", "NEW"),
        help="print what changed between two runs, new failures first",
    )  # fmt: skip
    parser.add_argument(
        "--markdown", type=Path, metavar="FILE", help="with --compare: also write it as Markdown"
    )
