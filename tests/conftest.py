"""How the suite is spread over xdist workers (`pytest -n auto`); nothing here changes what a
test does or asserts, only which worker runs it and when.

Most of the suite's wall time is a few dozen real-time tests (a mock, a client and a virtual
call talking for seconds) and tests that start subprocesses. With xdist's default `--dist load`
a worker is handed chunks of the queue it cannot give back, so one worker could be left with
minutes of slow tests while the other had finished (a measured run: 240 s against 562 s). So:

- `-n N` without `--dist` means `--dist worksteal`: a worker that runs dry takes half of the
  other's queue. An explicit `--dist` is kept.
- Known-slow tests run first, dealt so that each worker's first share starts with an equal
  part of them (longest first), so that no long test starts near the end.
"""

from __future__ import annotations

import os
from itertools import islice
from typing import Any

import pytest

DIST_KEY = "tests_dist_mode"

# Seconds the tests a node id prefix names took together in a measured `pytest -n auto` run on
# a shared 2-core machine (2026-12-03 21:03 UTC, 253 s wall). The tests a prefix names run back
# to back in one share, and with them the tests of their module that share a module-scoped
# fixture with them (which would otherwise be set up again: pytest tears it down when the next
# test is another module's), so one test per such fixture is listed, with the fixture's time. A
# docs page's blocks run in order under one lock (tests/test_docs.py): split, workers only wait
# for each other. Only the order depends on these figures: a stale one makes a run slower, never
# different. Tests not listed keep their collection order.
SLOW_TESTS_S = {
    "test_docs.py::test_doc_block[how-to/telephony-connector.md": 40,
    "test_conformance_detection.py::test_each_broken_variant_fails_exactly_its_cases_": 42,
    "test_example_bridge.py::test_the_bridge_passes_every_case_it_takes_part_in": 13,
    "test_connector_runs.py::test_a_connector_that_crashes_at_start_fails_with_its_stderr": 21,
    "test_conformance_plugin.py::test_xdist_workers_and_one_process_give_the_same_results": 6,
    "test_connector_runs.py::test_a_correct_connector_passes_the_call_cases": 22,
    "test_connector_runs.py::test_a_connector_already_running_is_judged_per_case": 12,
    "test_node_shim.py::test_the_shim_passes_the_text_tool_and_error_cases_in_both_dialects": 7,
    "test_command_driver.py::test_the_reference_client_as_a_command_passes_in_both_dialects": 10,
    "test_command_driver_cli.py::test_pytest_conformance_drives_a_command_client": 3,
    "test_refclient_example.py::test_the_example_bridges_a_wav_caller_and_writes_what_": 8,
    "test_connector_options.py::test_the_plugin_takes_the_same_connector_options": 7,
    "test_docs.py::test_doc_block[tutorial.md": 7,
    "test_docs.py::test_doc_block[how-to/record.md": 7,
    "test_refclient_example.py::test_a_session_the_server_ends_is_exit_1_with_one_line": 7,
    "test_command_driver_failures.py::test_each_bad_client_fails_with_its_reason_and_the_": 7,
    "test_command_driver_failures.py::test_a_client_that_dies_while_the_suite_waits_fails_": 6,
    "test_docs.py::test_doc_block[how-to/pytest-fixture.md": 6,
    "test_docs.py::test_doc_block[how-to/python-client.md": 8,
    "test_command_driver.py::test_a_broken_variant_as_a_command_fails_the_check_it_breaks": 5,
    "test_fixture_example.py::test_the_example_passes_outside_the_checkout": 2,
    "test_fuzz_client_input.py::test_fuzzed_input_gets_api_shaped_answers_and_spares_the_": 6,
}


@pytest.hookimpl(tryfirst=True)  # before xdist's own, which makes "no" into "load" for -n
def pytest_cmdline_main(config: pytest.Config) -> None:
    if getattr(config.option, "numprocesses", None) and config.option.dist == "no":
        config.option.dist = "worksteal"


@pytest.hookimpl(optionalhook=True)  # an xdist hook (controller): workers learn the mode
def pytest_configure_node(node: Any) -> None:
    node.workerinput[DIST_KEY] = node.config.option.dist


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers < 2:
        return  # one process: the collection order reads best
    mode = getattr(config, "workerinput", {}).get(DIST_KEY)
    items[:] = dealt(items, workers) if mode == "worksteal" else slow_first(items)


def slow_prefix(item: pytest.Item) -> str | None:
    name = item.nodeid.removeprefix("tests/")
    return next((prefix for prefix in SLOW_TESTS_S if name.startswith(prefix)), None)


def expected_s(item: pytest.Item) -> int:
    prefix = slow_prefix(item)
    return SLOW_TESTS_S[prefix] if prefix else 0


def slow_groups(items: list[pytest.Item]) -> list[tuple[int, list[pytest.Item]]]:
    """(seconds, tests) for each listed prefix: its tests, and the tests of their module that
    share a module-scoped fixture with them, in collection order; longest first."""
    listed: dict[str, list[pytest.Item]] = {}
    for item in items:
        prefix = slow_prefix(item)
        if prefix:
            listed.setdefault(prefix, []).append(item)
    claimed: set[int] = set()
    groups = []
    for prefix, tests in listed.items():
        module, shared = module_of(tests[0]), set().union(*map(module_fixtures, tests))
        own = set(map(id, tests))
        group = [
            item
            for item in items
            if id(item) not in claimed
            and (id(item) in own or (module_of(item) == module and shared & module_fixtures(item)))
        ]
        claimed.update(map(id, group))
        groups.append((SLOW_TESTS_S[prefix], group))
    return sorted(groups, key=lambda group: -group[0])


def module_of(item: pytest.Item) -> str:
    return item.nodeid.split("::")[0]


def module_fixtures(item: pytest.Item) -> set[str]:
    """The module- or class-scoped fixtures the test uses (pytest keeps these per test)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return set()
    named = info.name2fixturedefs.items()
    return {name for name, defs in named if defs and defs[-1].scope in ("module", "class")}


def grouped(items: list[pytest.Item]) -> set[int]:
    return {id(item) for _, group in slow_groups(items) for item in group}


def slow_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """Longest first: `--dist load` deals its first quarter round robin."""
    return [*(i for _, group in slow_groups(items) for i in group), *unlisted(items)]


def unlisted(items: list[pytest.Item]) -> list[pytest.Item]:
    taken = grouped(items)
    return [item for item in items if id(item) not in taken]


def dealt(items: list[pytest.Item], workers: int) -> list[pytest.Item]:
    """The order worksteal's first split (contiguous shares: len // workers left, in turn)
    turns into one share per worker, each opening with its part of the slow groups (longest to
    the share with the least so far) and filled up with the rest in collection order."""
    sizes: list[int] = []
    left = len(items)
    for turn in range(workers):
        sizes.append(left // (workers - turn))
        left -= sizes[-1]
    shares: list[list[pytest.Item]] = [[] for _ in sizes]
    loads = [0] * workers
    for seconds, group in slow_groups(items):
        roomy = [n for n in range(workers) if len(shares[n]) + len(group) <= sizes[n]]
        least = min(roomy or range(workers), key=loads.__getitem__)
        shares[least] += group
        loads[least] += seconds
    rest = iter(unlisted(items))
    for share, size in zip(shares, sizes, strict=True):
        share.extend(islice(rest, max(0, size - len(share))))
    return [item for share in shares for item in share] + list(rest)
