"""Load scenario files: YAML -> checked -> typed values (rtproto.scenario.spec).

Every problem of a file is collected, not just the first: YAML syntax, duplicate keys, the JSON
Schema (schemas/scenario.schema.json) and the checks it cannot express (rtproto.scenario.lint).
Each names the file, the line and column, the field path and what was wrong; misspelt names come
with a "did you mean". Reading the file is the only I/O; `parse_scenario` takes the text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any, cast

import yaml
from jsonschema import Draft202012Validator

from realtime_conformance.rtproto.audio.formats import parse_format
from realtime_conformance.rtproto.catalogue import Api
from realtime_conformance.rtproto.scenario.caller_files import load_wav, wav_issues, wav_path
from realtime_conformance.rtproto.scenario.diagnostics import (
    LoadProblem,
    ScenarioError,
    explain,
    field_name,
    place,
)
from realtime_conformance.rtproto.scenario.diagnostics import Path as PathTo
from realtime_conformance.rtproto.scenario.lint import semantic_issues
from realtime_conformance.rtproto.scenario.lint_caller import PART_KINDS
from realtime_conformance.rtproto.scenario.matchers import parse_when
from realtime_conformance.rtproto.scenario.replay_files import (
    load_recording,
    replay_issues,
    replay_path,
)
from realtime_conformance.rtproto.scenario.spec import (
    AUTO,
    AbortConnection,
    BurstScript,
    Caller,
    CaseBlock,
    CaseStep,
    Drop,
    Duplicate,
    ErrorFault,
    EventStep,
    ExpectedTurn,
    ExpireSession,
    Fault,
    FaultAction,
    Malform,
    RawStep,
    Reorder,
    ReplayStep,
    Rule,
    Scenario,
    SimulateStep,
    Stall,
    Step,
    TemplateStep,
    VadExpectation,
    VadSettings,
    WaitStep,
)
from realtime_conformance.schemas import SCHEMA_ROOT

SCHEMA_FILE = SCHEMA_ROOT / "scenario.schema.json"
MERGE_TAG = "tag:yaml.org,2002:merge"  # the `<<` key
# libyaml's parser when PyYAML has it: several times faster, with the same marks
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def scenario_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return schema


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(scenario_schema())


def _duplicate_keys(node: yaml.Node | None, file: str, path: PathTo = ()) -> Iterator[LoadProblem]:
    """PyYAML keeps the last of two equal keys silently; a scenario author wants to know.

    Read before the data is built: building merges `<<: *anchor` keys into the mapping, where
    a key written beside the merge rightly overrides the merged one. A merged mapping is
    checked where its anchor is."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, yaml.Node] = {}
        for key, value in node.value:
            if key.tag == MERGE_TAG:
                continue
            first = seen.setdefault(key.value, key)
            if first is not key:
                mark, field = key.start_mark, field_name((*path, key.value))
                message = f"duplicate key {key.value!r} (first on line {first.start_mark.line + 1})"
                yield LoadProblem(mark.line + 1, mark.column + 1, file, field, message)
            yield from _duplicate_keys(value, file, (*path, key.value))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(item, file, (*path, index))


def _compose(text: str, file: str) -> tuple[yaml.Node | None, Any, list[LoadProblem]]:
    """The node tree (for line numbers), the data built from that same tree, and its
    duplicate keys. A syntax error is read again by the pure-Python loader, whose messages
    say more ("expected the node content, but found '<stream end>'")."""
    try:
        return _compose_with(SAFE_LOADER, text, file)
    except yaml.YAMLError:
        return _compose_with(yaml.SafeLoader, text, file)


def _compose_with(
    loader_class: type[Any], text: str, file: str
) -> tuple[yaml.Node | None, Any, list[LoadProblem]]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        duplicates = list(_duplicate_keys(node, file))
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    if isinstance(data, dict) and isinstance(node, yaml.MappingNode):
        # `id: 5.3` is a float to YAML; an id is the text as written.
        id_node = next((value for key, value in node.value if key.value == "id"), None)
        if isinstance(id_node, yaml.ScalarNode) and not isinstance(data.get("id"), str):
            data["id"] = id_node.value
    return node, data, duplicates


def _syntax_problem(error: yaml.YAMLError, file: str) -> LoadProblem:
    mark = getattr(error, "problem_mark", None)
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = getattr(error, "problem", None) or str(error)
    return LoadProblem(line, column, file, "(syntax)", f"invalid YAML: {problem}")


def check(text: str, file: str) -> tuple[Any, list[LoadProblem]]:
    """The data in `text` and every problem with it (an empty list: the scenario is valid)."""
    try:
        node, data, problems = _compose(text, file)
    except yaml.YAMLError as error:
        return None, [_syntax_problem(error, file)]
    issues = [issue for error in _validator().iter_errors(data) for issue in explain(error)]
    issues += semantic_issues(data)
    issues += replay_issues(data, file)
    issues += wav_issues(data, file)
    problems += (place(issue, node, file) for issue in issues)
    return data, sorted(set(problems))


def parse_scenario(text: str, file: str = "<string>") -> Scenario:
    data, problems = check(text, file)
    if problems:
        raise ScenarioError(problems)
    return build(data, file)


def load_scenario(path: Path | str) -> Scenario:
    path = Path(path)
    return parse_scenario(path.read_text(encoding="utf-8"), str(path))


def load_scenarios(directory: Path | str) -> list[Scenario]:
    """Every `*.yaml` below `directory`, sorted by id; all files' problems in one error."""
    scenarios: list[Scenario] = []
    problems: list[LoadProblem] = []
    for path in sorted(Path(directory).rglob("*.yaml")):
        try:
            scenarios.append(load_scenario(path))
        except ScenarioError as error:
            problems.extend(error.problems)
    first_file: dict[str, str] = {}
    for scenario in scenarios:
        earlier = first_file.setdefault(scenario.id, scenario.source)
        if earlier != scenario.source:
            message = f"duplicate scenario id {scenario.id!r} (also in {earlier})"
            problems.append(LoadProblem(1, 1, scenario.source, "id", message))
    if problems:
        raise ScenarioError(problems)
    return sorted(scenarios, key=lambda s: [int(part) for part in s.id.split(".")])


# --- building the typed values from checked data -------------------------------------------


def _step(spec: Any, file: str) -> Step:  # noqa: PLR0911 - one branch per step kind
    if isinstance(spec, str):
        return TemplateStep(spec)
    ((kind, value),) = spec.items()
    if kind == "event":
        return EventStep(value)
    if kind == "raw":
        return RawStep(value)
    if kind == "wait_ms":
        return WaitStep(value)
    if kind == "replay":
        path = replay_path(value["file"], file)
        return ReplayStep(str(path), load_recording(path), value.get("timing", "recorded"))
    if kind == "simulate":
        return SimulateStep(value.get("text"), value.get("timing", "planned"))
    return TemplateStep(kind, dict(value or {}))


def _steps(specs: Any, file: str) -> tuple[Step, ...]:
    return tuple(_step(spec, file) for spec in specs or ())


def _limit(times: Any) -> int | None:
    if times is None or times == "always":
        return None
    return 1 if times == "once" else int(times)


def _rule(index: int, spec: dict[str, Any], file: str) -> Rule:
    return Rule(
        index=index,
        when=parse_when(spec["when"]),
        reply=_steps(spec.get("reply"), file),
        limit=_limit(spec.get("times")),
        delay_ms=spec.get("delay_ms"),
        pace_ms=spec.get("pace_ms"),
    )


def _action(spec: dict[str, Any]) -> FaultAction:  # noqa: PLR0911 - one branch per fault kind
    if "drop" in spec:
        return Drop(spec["drop"].get("code", 1011), spec["drop"].get("reason", ""))
    if "abort" in spec:
        return AbortConnection()
    if "duplicate" in spec:
        return Duplicate(spec["duplicate"])
    if "malform" in spec:
        return Malform()
    if "reorder" in spec:
        return Reorder(spec["reorder"])
    if "delay_ms" in spec:
        return Stall(spec["delay_ms"])
    if "error" in spec:
        return ErrorFault(spec["error"])
    return ExpireSession()


def _fault(index: int, spec: dict[str, Any]) -> Fault:
    return Fault(index, _action(spec), spec.get("at_ms"), spec.get("after"), spec.get("nth", 1))


def _caller(spec: dict[str, Any] | None, file: str) -> Caller | None:
    if spec is None:
        return None
    name = spec.get("format", "pcm16")
    fmt = parse_format({"type": name} if name.startswith("audio/") else name)
    if "wav" in spec:
        return Caller(load_wav(wav_path(spec["wav"], file)), fmt, spec.get("chunk_ms", 20))
    parts = tuple((PART_KINDS[key], ms) for part in spec["script"] for key, ms in part.items())
    level = float(spec.get("level_dbfs", BurstScript.level_dbfs))
    script = BurstScript(parts, spec.get("lead_in_ms", 0), level, spec.get("seed", 0))
    return Caller(script, fmt, spec.get("chunk_ms", 20))


def _vad(spec: Any) -> VadSettings | None:
    if not spec:
        return None
    return VadSettings(**spec) if isinstance(spec, dict) else VadSettings()


def _expect_vad(spec: Any) -> VadExpectation | None:
    if spec is None:
        return None
    turns = spec.get("turns") if isinstance(spec, dict) else spec
    tolerance = spec.get("tolerance_ms", 10) if isinstance(spec, dict) else 10
    if not isinstance(turns, list):
        return VadExpectation(AUTO, tolerance)
    listed = tuple(ExpectedTurn(t["audio_start_ms"], t["audio_end_ms"]) for t in turns)
    return VadExpectation(listed, tolerance)


def _case_step(spec: Any) -> CaseStep:
    if isinstance(spec, str):
        return CaseStep(spec)
    ((action, args),) = spec.items()
    return CaseStep(action, args)


def _case(spec: dict[str, Any] | None) -> CaseBlock | None:
    if spec is None:
        return None
    steps, needs, checks = spec.get("steps"), spec.get("needs"), spec.get("checks")
    server = spec.get("server", "scenario")
    return CaseBlock(
        needs=tuple(needs) if needs is not None else None,
        simulated=dict(server["simulated"] or {}) if isinstance(server, dict) else None,
        steps=tuple(_case_step(step) for step in steps) if steps is not None else None,
        until=spec.get("until"),
        timing=spec.get("timing"),
        timeout_s=spec.get("timeout_s"),
        checks=tuple(checks) if checks is not None else None,
        tolerances=dict(spec.get("tolerances", {})),
        expect=dict(spec.get("expect", {})),
        media=spec.get("media"),
        informational=spec.get("informational", False),
    )


def build(data: dict[str, Any], file: str) -> Scenario:
    """The typed scenario from data that passed `check`."""
    return Scenario(
        id=data["id"],
        title=data["title"].strip(),
        requirement=data["requirement"].strip(),
        dialects=tuple(data.get("dialects", ())),
        rules=tuple(_rule(i, spec, file) for i, spec in enumerate(data.get("expect", []))),
        on_start=_steps(data.get("on_start"), file),
        faults=tuple(_fault(i, spec) for i, spec in enumerate(data.get("faults", []))),
        ignore=tuple(data.get("ignore", [])),
        unexpected=data.get("unexpected", "error"),
        strict=data.get("strict", False),
        ordered=data.get("ordered", False),
        pace_ms=data.get("pace_ms", 0),
        delay_ms=data.get("delay_ms", 0),
        source=file,
        api=cast(Api, data.get("api", "realtime")),
        caller=_caller(data.get("caller"), file),
        vad=_vad(data.get("vad")),
        expect_vad=_expect_vad(data.get("expect_vad")),
        case=_case(data.get("case")),
    )
