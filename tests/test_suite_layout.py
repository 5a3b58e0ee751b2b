"""tests/conftest.py only reorders the suite for xdist: every test still runs exactly once,
the slow ones open the workers' shares, and its list of slow tests names tests that exist."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from tests import conftest

TESTS = Path(__file__).resolve().parent


class FakeItem:
    def __init__(self, nodeid: str, fixtures: dict[str, str] | None = None) -> None:
        self.nodeid = nodeid
        defs = {name: [SimpleNamespace(scope=scope)] for name, scope in (fixtures or {}).items()}
        self._fixtureinfo = SimpleNamespace(name2fixturedefs=defs)


def items_of(nodeids: list[str]) -> list[pytest.Item]:
    return cast(list[pytest.Item], [FakeItem(nodeid) for nodeid in nodeids])


SLOW = [f"tests/{prefix}{end}" for prefix in conftest.SLOW_TESTS_S for end in ("x", "y")]
FAST = [f"tests/test_f{n}.py::test_{n}" for n in range(41)]


@pytest.mark.parametrize("workers", [2, 3, 4])
def test_each_share_opens_with_its_part_of_the_slow_tests_and_none_is_lost(workers: int) -> None:
    items = items_of(FAST[:20] + SLOW + FAST[20:])
    order = conftest.dealt(items, workers)
    assert sorted(id(i) for i in order) == sorted(id(i) for i in items)
    shares, start, left = [], 0, len(items)
    for turn in range(workers):  # worksteal's first split, as xdist 3.8 makes it
        size = left // (workers - turn)
        shares.append(order[start : start + size])
        start, left = start + size, left - size
    groups = [{p for i in share if (p := conftest.slow_prefix(i))} for share in shares]
    loads = [sum(conftest.SLOW_TESTS_S[prefix] for prefix in group) for group in groups]
    assert max(loads) - min(loads) <= max(conftest.SLOW_TESTS_S.values())
    for share in shares:
        seconds = [conftest.expected_s(i) for i in share]
        assert seconds == sorted(seconds, reverse=True), "slow first, longest first"
        runs = [p for p, _ in itertools.groupby(conftest.slow_prefix(i) for i in share) if p]
        assert len(runs) == len(set(runs)), "a prefix's tests run back to back"
    fast = [i.nodeid for i in order if not conftest.expected_s(i)]
    assert fast == FAST, "the rest keep their collection order"


def test_the_tests_sharing_a_listed_tests_module_fixture_run_right_after_it() -> None:
    slow = next(iter(conftest.SLOW_TESTS_S))
    module = slow.split("::")[0]
    items = cast(
        list[pytest.Item],
        [
            FakeItem(f"tests/{module}::test_before", {"shared": "module"}),
            FakeItem("tests/test_other.py::test_o", {"shared": "module"}),  # another module's
            FakeItem(f"tests/{module}::test_unrelated", {"tmp_path": "function"}),
            FakeItem(f"tests/{slow}x", {"shared": "module", "tmp_path": "function"}),
            FakeItem(f"tests/{module}::test_after", {"shared": "module"}),
        ],
    )
    order = [i.nodeid.split("::")[1] for i in conftest.slow_first(items)]
    assert order[:3] == ["test_before", slow.split("::")[1] + "x", "test_after"]
    assert order[3:] == ["test_o", "test_unrelated"]


def test_one_process_keeps_the_collection_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT", raising=False)
    items = items_of(FAST[:3] + SLOW[:2])
    before = list(items)
    conftest.pytest_collection_modifyitems(cast(Any, object()), items)
    assert items == before


def test_every_listed_slow_test_exists() -> None:
    for prefix in conftest.SLOW_TESTS_S:
        file, function = prefix.split("[")[0].split("::")
        source = (TESTS / file).read_text(encoding="utf-8")
        assert re.search(rf"^(async )?def {re.escape(function)}", source, re.M), prefix
