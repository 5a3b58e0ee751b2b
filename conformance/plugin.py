"""The pytest plugin (entry point `pytest11`): `pytest conformance [-n auto]` runs the suite.

`--strict` is pytest's own (strict mode); with `pytest conformance` it also adds the SHOULD-level
cases. It does nothing unless a path argument is the `conformance/` directory (outside a
checkout the bare word `conformance` means the installed package) (so `python -m pytest`
of the harness's own tests pays only for this module's import). Then that directory is
collected as one item per (case, dialect), named by its node id (`5.4.2[ga]`), and the
package's modules are not collected as tests.

Cases run many at once: each process has one event loop (a background thread) with its own
mock on port 0; the first item a process runs submits every item of its batch, and each item
waits for its own result. Under xdist the items are dealt into one `xdist_group` per worker,
balanced by time limit, and scheduled with `--dist loadgroup`, so a worker's batch is known to
it. Workers ship their case records to the controller (`workeroutput`), which merges them into
one results.json and junit.xml; each process writes its cases' recordings itself.
"""

# ruff: noqa: PLC0415 - the suite's modules are imported only when `pytest conformance` runs

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from realtime_conformance.conformance.plugin_keys import OUTPUT, SEED

if TYPE_CHECKING:
    from realtime_conformance.conformance.cases import Selected
    from realtime_conformance.conformance.plugin_session import ProcessSuite
    from realtime_conformance.conformance.runner import CaseResult

PACKAGE_DIR = Path(__file__).resolve().parent
ACTIVE = pytest.StashKey[bool]()
RECORDS = pytest.StashKey[list[dict[str, Any]]]()
SUITE = pytest.StashKey["ProcessSuite"]()
WORKER_KEY = "conformance_results"
OUTPUT_KEY = "conformance_output"
SEED_KEY = "conformance_seed"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("realtime-conformance", "conformance suite (pytest conformance)")
    group.addoption(
        "--case",
        action="append",
        default=[],
        dest="conformance_case",
        metavar="PATTERN",
        help="case ids (fnmatch: 5.4.*); repeatable",
    )
    group.addoption(
        "--dialect", choices=["ga", "beta", "both"], default="both", dest="conformance_dialect"
    )
    group.addoption(
        "--client",
        dest="conformance_client",
        metavar="MODULE:FACTORY",
        help="the client's driver factory (default: the reference client)",
    )
    group.addoption(
        "--client-cmd",
        dest="conformance_client_cmd",
        metavar="CMD",
        help="the client as a command: a child process per case, JSON lines on stdin/stdout",
    )
    group.addoption(
        "--output",
        dest="conformance_output",
        metavar="DIR",
        help="where results.json and junit.xml go (default: reports/<run-id>/)",
    )
    group.addoption("--deviations", dest="conformance_deviations", metavar="FILE",
                    help="the client's known deviations (YAML)")  # fmt: skip
    from realtime_conformance.conformance.connector_options import add_connector_arguments

    add_connector_arguments(group.addoption, "conformance_")  # --connector-cmd, ...
    group.addoption("--seed", type=int, dest="conformance_seed", metavar="N",
                    help="seed of the mock's ids and text (default: a fresh one, in "
                    "results.json's run.seed; give it back to replay a run)")  # fmt: skip


def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> None:
    """`pytest conformance` names the suite from anywhere: where no `conformance` folder is at
    hand (an installed wheel, another project's directory) the word means this package."""
    for index, arg in enumerate(args):
        name, separator, rest = arg.partition("::")
        if name.rstrip("/") == "conformance" and not Path(name).exists():
            args[index] = f"{PACKAGE_DIR}{separator}{rest}"


def _names_suite(config: pytest.Config) -> bool:
    for arg in config.args:
        path = Path(str(arg).split("::")[0])
        path = path if path.is_absolute() else Path(config.invocation_params.dir) / path
        if path.resolve() == PACKAGE_DIR:
            return True
    return False


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    active = _names_suite(config)
    config.stash[ACTIVE] = active
    if not active:
        return
    from realtime_conformance.conformance import plugin_session

    config.stash[RECORDS] = []
    if _is_worker(config):
        config.stash[OUTPUT] = Path(config.workerinput[OUTPUT_KEY])  # type: ignore[attr-defined]
        config.stash[SEED] = int(config.workerinput[SEED_KEY])  # type: ignore[attr-defined]
        return
    plugin_session.check_options(config)  # usage errors before anything runs
    config.stash[OUTPUT] = plugin_session.output_dir(config)
    config.stash[SEED] = plugin_session.run_seed(config)  # one for all workers, as `run` has
    if getattr(config.option, "dist", "no") == "load":
        config.option.dist = "loadgroup"  # each worker gets whole batches (see the docstring)


@pytest.hookimpl(optionalhook=True)  # an xdist hook: pytest without xdist too
def pytest_configure_node(node: Any) -> None:
    """xdist (controller): tell each worker where the recordings go, and the run's seed."""
    config = node.config
    if config.stash.get(ACTIVE, False):
        node.workerinput[OUTPUT_KEY] = str(config.stash[OUTPUT])
        node.workerinput[SEED_KEY] = config.stash[SEED]


@pytest.hookimpl(tryfirst=True)
def pytest_collect_directory(path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if parent.config.stash.get(ACTIVE, False) and path.resolve() == PACKAGE_DIR:
        return SuiteDirectory.from_parent(parent, path=path)
    return None


class SuiteDirectory(pytest.Directory):
    """`conformance/` as the suite: its cases, not its modules."""

    def collect(self) -> Iterator[CaseItem]:
        from realtime_conformance.conformance import plugin_session

        for selected in plugin_session.selection(self.config):
            yield CaseItem.from_parent(self, name=selected.node_id, selected=selected)


class CaseFailed(Exception):
    """A FAIL verdict: the failures in their five parts."""


class CaseItem(pytest.Item):
    def __init__(self, *, selected: Selected, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.selected = selected

    def runtest(self) -> None:
        suite = _suite(self.config)
        result = suite.result(self)
        record = suite.record(result)
        self.config.stash[RECORDS].append(record)
        _outcome(result, record)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CaseFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        case = self.selected.case
        return Path(case.scenario.source), 0, f"{self.name} {case.title}"


def _outcome(result: CaseResult, record: Mapping[str, Any]) -> None:
    from realtime_conformance.conformance.verdicts import Verdict

    verdict = result.verdict
    texts = "\n\n".join(failure["text"] for failure in record["failures"])
    if verdict is Verdict.FAIL:
        raise CaseFailed(texts or "FAIL")
    if verdict in (Verdict.NON_STRICT, Verdict.UNIMPLEMENTED, Verdict.KNOWN_DEVIATION):
        why = result.reason or (result.failures[0].actual if result.failures else "")
        raise pytest.skip.Exception(f"{verdict.value}: {why}", _use_item_location=True)


def _suite(config: pytest.Config) -> ProcessSuite:
    if SUITE not in config.stash:
        from realtime_conformance.conformance import plugin_session

        config.stash[SUITE] = plugin_session.ProcessSuite(config)
    return config.stash[SUITE]


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if config.stash.get(ACTIVE, False) and _is_worker(config):
        from realtime_conformance.conformance import plugin_session

        plugin_session.deal_into_groups(config, [i for i in items if isinstance(i, CaseItem)])


@pytest.hookimpl(optionalhook=True)  # an xdist hook: pytest without xdist too
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist (controller): a worker's case records."""
    config = node.config
    output = getattr(node, "workeroutput", {}) or {}
    if config.stash.get(ACTIVE, False) and WORKER_KEY in output:
        config.stash[RECORDS].extend(json.loads(output[WORKER_KEY]))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if not config.stash.get(ACTIVE, False):
        return
    if SUITE in config.stash:
        config.stash[SUITE].stop()
    if _is_worker(config):
        config.workeroutput[WORKER_KEY] = json.dumps(config.stash[RECORDS])  # type: ignore[attr-defined]
        return
    if _ran_cases(config):
        from realtime_conformance.conformance import plugin_session

        plugin_session.write_run(config, config.stash[RECORDS])


def _ran_cases(config: pytest.Config) -> bool:
    """Whether this session ran the suite (not `--collect-only`, not stopped by a usage error)."""
    return not config.option.collectonly and RECORDS in config.stash


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if config.stash.get(ACTIVE, False) and not _is_worker(config) and _ran_cases(config):
        from realtime_conformance.conformance import plugin_session

        plugin_session.print_summary(config, config.stash[RECORDS], terminalreporter)
