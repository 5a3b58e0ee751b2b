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

# Seconds each took in a measured `pytest -n auto` run on a loaded 2-core machine (2026-12-03),
# by test function (all its parameter sets). Only the order depends on these: a stale figure
# makes a run slower, never different. Tests not listed keep their collection order.
SLOW_TESTS_S = {
    "test_conformance_detection.py::test_each_broken_variant_fails_exactly_its_cases_": 68,
    "test_connector_runs.py::test_a_connector_that_builds_its_own_realtime_url_": 29,
    "test_conformance_plugin.py::test_xdist_workers_and_one_process_give_the_same_results": 24,
    "test_example_bridge.py::test_the_bridge_passes_every_case_it_takes_part_in": 24,
    "test_connector_runs.py::test_a_connector_that_crashes_at_start_fails_with_its_stderr": 20,
    "test_command_driver.py::test_the_reference_client_as_a_command_passes_in_both_dialects": 15,
    "test_refclient_driver.py::test_broken_variants_fail_the_check_made_for_their_bug": 14,
    "test_connector_runs.py::test_the_services_process_group_is_killed_at_the_end": 14,
    "test_node_shim.py::test_the_shim_passes_the_text_tool_and_error_cases_in_both_dialects": 13,
    "test_connector_runs.py::test_the_services_start_up_does_not_eat_the_cases_time_limit": 13,
    "test_connector_runs.py::test_a_correct_connector_passes_the_call_cases": 13,
    "test_connector_runs.py::test_a_connector_already_running_is_judged_per_case": 13,
    "test_conformance_runner.py::test_simulated_barge_in_passes_the_reference_and_fails_": 13,
    "test_command_driver_cli.py::test_pytest_conformance_drives_a_command_client": 11,
    "test_refclient_example.py::test_the_example_bridges_a_wav_caller_and_writes_what_": 10,
    "test_connector_options.py::test_the_plugin_takes_the_same_connector_options": 10,
    "test_robust_memory.py::test_a_closed_connection_lets_its_simulated_session_go": 9,
    "test_command_driver_cli.py::test_run_drives_a_command_client_end_to_end": 8,
    "test_fixture_example.py::test_the_example_passes_outside_the_checkout": 7,
    "test_command_driver.py::test_a_broken_variant_as_a_command_fails_the_check_it_breaks": 7,
    "test_command_driver_failures.py::test_each_bad_client_fails_with_its_reason_and_the_": 7,
    "test_command_driver_cli.py::test_pytest_conformance_refuses_a_bad_command_as_a_": 6,
    "test_command_driver_failures.py::test_a_client_that_dies_while_the_suite_waits_fails_": 6,
    "test_mockserver_socket.py::test_behaviour_close_sends_its_code_and_reason": 6,
    "test_fuzz_client_input.py::test_fuzzed_input_gets_api_shaped_answers_and_spares_the_": 5,
    "test_refclient_command.py::test_python_m_refclient_driver_runs_a_text_turn": 5,
    "test_refclient_example.py::test_a_session_the_server_ends_is_exit_1_with_one_line": 5,
    "test_dockerfile.py::test_the_wheel_builds_from_the_context_alone": 5,
    "test_conformance_http.py::test_the_reference_client_passes_every_http_case": 5,
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


def expected_s(item: pytest.Item) -> int:
    name = item.nodeid.removeprefix("tests/")
    return next((s for prefix, s in SLOW_TESTS_S.items() if name.startswith(prefix)), 0)


def slow_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """Longest first (stable): `--dist load` deals its first quarter round robin."""
    return sorted(items, key=lambda item: -expected_s(item))


def dealt(items: list[pytest.Item], workers: int) -> list[pytest.Item]:
    """The order worksteal's first split (contiguous shares: len // workers left, in turn)
    turns into one share per worker, each opening with its part of the slow tests (longest to
    the share with the least so far) and filled up with the rest in collection order."""
    sizes: list[int] = []
    left = len(items)
    for turn in range(workers):
        sizes.append(left // (workers - turn))
        left -= sizes[-1]
    shares: list[list[pytest.Item]] = [[] for _ in sizes]
    loads = [0] * workers
    slow = sorted((item for item in items if expected_s(item)), key=lambda i: -expected_s(i))
    for item in slow:
        open_shares = [n for n in range(workers) if len(shares[n]) < sizes[n]]
        least = min(open_shares, key=loads.__getitem__)
        shares[least].append(item)
        loads[least] += expected_s(item)
    rest = iter([item for item in items if not expected_s(item)])
    for share, size in zip(shares, sizes, strict=True):
        share.extend(islice(rest, size - len(share)))
    return [item for share in shares for item in share]
