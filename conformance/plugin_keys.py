"""What the pytest plugin keeps on `config.stash`, in a module of its own so that the plugin and
its working parts (conformance.plugin_session) both read it without importing each other."""

from __future__ import annotations

from pathlib import Path

import pytest

OUTPUT = pytest.StashKey[Path]()  # where results.json, junit.xml and the recordings go
SEED = pytest.StashKey[int]()  # the run's seed: the mock's ids and text (results.json run.seed)
