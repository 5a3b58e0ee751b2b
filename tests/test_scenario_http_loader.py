"""Loading Responses and Chat scenarios and replay steps: the new keys load into typed values,
and every mistake is named with file, line, field and what to write instead."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from realtime_conformance.rtproto.scenario import ScenarioError, load_scenario, parse_scenario
from realtime_conformance.rtproto.scenario.spec import (
    Drop,
    ErrorFault,
    EventStep,
    RawStep,
    ReplayStep,
    SimulateStep,
)

TITLE = "title: T\nrequirement: The client MUST work.\n"
RESPONSES = "id: 9.1.1\n" + TITLE + "api: responses\n"
CHAT = "id: 9.1.1\n" + TITLE + "api: chat\n"
REALTIME = "id: 9.1.1\n" + TITLE + "dialects: [ga]\n"
INSTEAD = (
    "Realtime events; api chat replies with literal events ({event: {...}}), raw data frames "
    "({raw: ...}), replays ({replay: ...}) or the simulated model ({simulate: {text: ...}})"
)
SERVER_LINE = {"dir": "server", "event": {"type": "response.created", "sequence_number": 0}}


def problems(text: str, file: str = "case.yaml") -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, file)
    return [str(problem) for problem in caught.value.problems]


def transcript(folder: Path, *lines: object, name: str = "trace.jsonl") -> Path:
    path = folder / name
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_an_http_scenario_loads_with_its_api_and_no_dialects(tmp_path: Path) -> None:
    transcript(tmp_path, {"dir": "client", "event": {"type": "response.create"}}, SERVER_LINE)
    (tmp_path / "case.yaml").write_text(
        RESPONSES + "expect:\n"
        "  - when: {type: response.create}\n"
        "    reply: [{replay: {file: trace.jsonl}}, {raw: x}]\n"
        "faults:\n  - {after: response.created, drop: {}}\n"
        "  - {at_ms: 5, error: server_error}\n",
        encoding="utf-8",
    )
    scenario = load_scenario(tmp_path / "case.yaml")
    assert (scenario.api, scenario.dialects) == ("responses", ())
    replay, raw = scenario.rules[0].reply
    assert isinstance(replay, ReplayStep) and raw == RawStep("x")
    assert (replay.file, replay.timing) == (str(tmp_path / "trace.jsonl"), "recorded")
    assert [e.event for e in replay.recording.events] == [SERVER_LINE["event"]]
    assert [f.action for f in scenario.faults] == [Drop(1011, ""), ErrorFault("server_error")]


def test_realtime_is_the_default_api_and_still_needs_dialects() -> None:
    assert parse_scenario(REALTIME).api == "realtime"
    assert problems("id: 1.1.1\n" + TITLE + "api: realtime\n") == [
        "case.yaml:1:1: (top level): missing required key 'dialects'"
    ]


def test_an_unknown_api_is_named_with_a_suggestion() -> None:
    assert problems("id: 1.1.1\n" + TITLE + "api: respones\n") == [
        "case.yaml:4:6: api: unknown api 'respones' (did you mean 'responses'?)"
    ]


def test_realtime_templates_and_keys_are_refused_under_an_http_api() -> None:
    text = CHAT + (
        "dialects: [ga]\n"
        "on_start: [session.created]\n"
        "ignore: [chat.completions.create]\n"
        "expect:\n"
        "  - when: {type: chat.completions.create}\n"
        "    reply:\n"
        "      - text_response\n"
        "      - {function_call_response: {name: f}}\n"
    )
    assert problems(text) == [
        "case.yaml:5:1: dialects: 'dialects' applies to api realtime only (an HTTP API has one "
        "dialect)",
        "case.yaml:6:1: on_start: 'on_start' applies to api realtime only (an HTTP stream starts "
        "with its request: answer it in expect)",
        f"case.yaml:6:12: on_start[0]: template 'session.created' builds {INSTEAD}",
        "case.yaml:7:1: ignore: 'ignore' applies to api realtime only (every request is "
        "answered: match it with a rule)",
        f"case.yaml:11:9: expect[0].reply[0]: template 'text_response' builds {INSTEAD}",
        f"case.yaml:12:9: expect[0].reply[1]: template 'function_call_response' builds {INSTEAD}",
    ]


def test_event_types_are_checked_against_the_apis_own_catalogue() -> None:
    text = RESPONSES + (
        "expect:\n"
        "  - when: {type: response.creat}\n"
        "    reply:\n"
        "      - {event: {type: response.output_text.delt}}\n"
        "      - {event: {type: response.done}}\n"
        "      - {event: {sequence_number: 3}}\n"
        "faults:\n"
        "  - {after: response.completd, drop: {}}\n"
    )
    assert problems(text) == [
        "case.yaml:6:18: expect[0].when.type: unknown client event type 'response.creat' "
        "(did you mean 'response.create'?)",
        "case.yaml:8:24: expect[0].reply[0].event.type: unknown responses server event type "
        "'response.output_text.delt' (did you mean 'response.output_text.delta'?)",
        "case.yaml:9:24: expect[0].reply[1].event.type: 'response.done' is a Realtime event, "
        "not a responses one (did you mean 'response.audio.done'?)",
        "case.yaml:10:17: expect[0].reply[2].event: missing required key 'type'",
        "case.yaml:12:13: faults[0].after: unknown event type 'response.completd' (did you mean "
        "'response.completed'?)",
    ]


def test_chat_rules_match_the_pseudo_request_and_chunks_are_named_by_object() -> None:
    text = CHAT + (
        "expect:\n"
        "  - when: {type: chat.completion.create}\n"
        "  - when: {type: chat.completion.chunk}\n"
        "  - when: {type: response.create}\n"
        "    reply:\n"
        "      - {event: {object: chat.completion.chunks, choices: []}}\n"
        "      - {event: {type: chat.completion.chunk}}\n"
        "      - {event: {error: {message: boom}}}\n"
    )
    assert problems(text) == [
        "case.yaml:6:18: expect[0].when.type: unknown client event type 'chat.completion.create' "
        "(did you mean 'chat.completions.create'?)",
        "case.yaml:7:18: expect[1].when.type: 'chat.completion.chunk' is a server event; rules "
        "match client events (did you mean 'chat.completions.create'?)",
        "case.yaml:8:18: expect[2].when.type: unknown client event type 'response.create'; api "
        "chat sees each request as a chat.completions.create event",
        "case.yaml:10:26: expect[2].reply[0].event.object: unknown Chat chunk object "
        "'chat.completion.chunks' (did you mean 'chat.completion.chunk'?)",
        "case.yaml:11:18: expect[2].reply[1].event.type: a Chat chunk has no 'type'; it is named "
        "by object: chat.completion.chunk",
    ]


def test_realtime_only_faults_are_refused_under_an_http_api() -> None:
    text = RESPONSES + (
        "faults:\n"
        "  - {at_ms: 1, error: rate_limit}\n"
        "  - {at_ms: 1, expire_session: true}\n"
        "  - {at_ms: 1, drop: {code: 1000, reason: bye}}\n"
    )
    assert problems(text) == [
        "case.yaml:6:23: faults[0].error: error: rate_limit is a Realtime error event; api "
        "responses streams server_error only (its rate limit is an HTTP 429 before any stream)",
        "case.yaml:7:16: faults[1].expire_session: expire_session ends a Realtime session; api "
        "responses has none",
        "case.yaml:8:23: faults[2].drop.code: a close code is WebSocket's; an HTTP stream just "
        "ends: write drop: {}",
        "case.yaml:8:35: faults[2].drop.reason: a close reason is WebSocket's; an HTTP stream "
        "just ends: write drop: {}",
    ]


def test_a_missing_replay_file_is_named_with_the_field_and_the_path(tmp_path: Path) -> None:
    text = RESPONSES + (
        "expect:\n"
        "  - when: {type: response.create}\n"
        "    reply:\n"
        "      - replay: {file: traces/nope.jsonl, timing: paced}\n"
        "      - replay: {fil: x.jsonl, timing: live}\n"
    )
    missing = tmp_path / "traces" / "nope.jsonl"
    assert problems(text, str(tmp_path / "case.yaml")) == [
        f"{tmp_path}/case.yaml:8:24: expect[0].reply[0].replay.file: cannot read the transcript "
        f"'{missing}': No such file or directory",
        f"{tmp_path}/case.yaml:9:17: expect[0].reply[1].replay: missing required key 'file'",
        f"{tmp_path}/case.yaml:9:18: expect[0].reply[1].replay.fil: unknown key 'fil' (did you "
        "mean 'file'?)",
        f"{tmp_path}/case.yaml:9:40: expect[0].reply[1].replay.timing: unknown timing 'live'; "
        "expected one of: recorded, paced",
    ]


def test_a_replay_file_that_does_not_fit_is_named_with_its_own_line(tmp_path: Path) -> None:
    chunk = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [],
    }
    transcript(tmp_path, SERVER_LINE, {"dir": "server", "event": chunk}, name="mixed.jsonl")
    (tmp_path / "broken.jsonl").write_text(json.dumps(SERVER_LINE) + "\n{oops\n", encoding="utf-8")
    transcript(tmp_path, {"dir": "meta", "meta": {"kind": "close"}}, name="empty.jsonl")
    beta = {"type": "response.text.delta", "event_id": "e", "delta": "x"}
    transcript(tmp_path, {"dir": "server", "event": beta}, name="beta.jsonl")
    replays = "".join(
        f"      - replay: {{file: {name}.jsonl}}\n" for name in ("mixed", "broken", "empty", "beta")
    )
    head = "expect:\n  - when: {type: response.create}\n    reply:\n"
    at = tmp_path
    assert problems(RESPONSES + head + replays, str(at / "case.yaml")) == [
        f"{at}/case.yaml:8:24: expect[0].reply[0].replay.file: {at}/mixed.jsonl:2: holds a chat "
        "event; this scenario's api is responses",
        f"{at}/case.yaml:9:24: expect[0].reply[1].replay.file: {at}/broken.jsonl:2: not JSON "
        "(Expecting property name enclosed in double quotes at column 2)",
        f"{at}/case.yaml:10:24: expect[0].reply[2].replay.file: {at}/empty.jsonl holds no server "
        "events to replay",
        f"{at}/case.yaml:11:24: expect[0].reply[3].replay.file: {at}/beta.jsonl:1: holds a "
        "realtime event; this scenario's api is responses",
    ]
    realtime = REALTIME + "expect:\n  - when: {type: response.create}\n    reply:\n"
    assert problems(realtime + "      - replay: {file: beta.jsonl}\n", str(at / "rt.yaml")) == [
        f"{at}/rt.yaml:8:24: expect[0].reply[0].replay.file: {at}/beta.jsonl:1: "
        "'response.text.delta' is not a GA server event (scenarios are GA-shaped)"
    ]


def test_yaml_anchors_and_merge_keys_are_not_duplicate_keys() -> None:
    text = RESPONSES + (
        "expect:\n"
        "  - when: {type: response.create}\n"
        "    reply:\n"
        "      - event: {type: response.created, response: &r {id: a, status: in_progress}}\n"
        "      - event: {type: response.completed, response: {<<: *r, status: completed}}\n"
        "      - event: {type: response.failed, response: {id: a, id: b}}\n"
    )
    assert problems(text) == [
        "case.yaml:10:58: expect[0].reply[2].event.response.id: duplicate key 'id' (first on "
        "line 10)"
    ]
    fine = parse_scenario(text.rsplit("      - event: {type: response.failed", 1)[0])
    completed = fine.rules[0].reply[1]
    assert isinstance(completed, EventStep)
    assert completed.event["response"] == {"id": "a", "status": "completed"}


def test_simulate_is_for_the_http_apis_and_times_by_plan_or_pace() -> None:
    text = "expect:\n  - when: {type: response.create}\n    reply: [{simulate: {timing: paced}}]\n"
    [rule] = parse_scenario(RESPONSES + text).rules
    assert rule.reply == (SimulateStep(None, "paced"),)
    assert problems(REALTIME + text) == [
        "case.yaml:7:14: expect[0].reply[0].simulate: simulate applies to api responses and "
        "chat; a Realtime reply uses the templates (text_response, audio_response, "
        "function_call_response, ...)"
    ]
    assert problems(RESPONSES + text.replace("paced", "live")) == [
        "case.yaml:7:33: expect[0].reply[0].simulate.timing: unknown timing 'live'; expected one "
        "of: planned, paced"
    ]
