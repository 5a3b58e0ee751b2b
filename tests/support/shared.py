"""Where ../shared (traces, seeds) is, and what to do when it is not there.

CI always has it beside the checkout; an installed copy run elsewhere may not. Outside CI the
tests that need it are skipped with a reason; in CI (CI=true) its absence is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def shared_dir() -> Path:
    configured = os.environ.get("REALTIME_SHARED_DIR")
    return Path(configured) if configured else REPO_ROOT.parent / "shared"


def require_shared(*parts: str) -> Path:
    path = shared_dir().joinpath(*parts)
    if not path.exists():
        message = f"{path} not found (set REALTIME_SHARED_DIR to the shared/ folder)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
