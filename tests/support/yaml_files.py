"""YAML files read as the tests need them: with libyaml when it is there (ten times faster than
the pure-Python loader on the AsyncAPI documents and the SDK-differences lists), safe either way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER)
