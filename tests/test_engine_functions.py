"""The documented function-call rule of rtproto.server.realtime.simulated_model, through the whole
session."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.engine import WEATHER_TOOL, EngineDriver, session_update, user_text

LOOKUP_TOOL = {
    "type": "function",
    "name": "lookup_order",
    "parameters": {
        "type": "object",
        "properties": {"order_id": {"type": "string"}, "express": {"type": "boolean"}},
    },
}


def answer(text: str, **session: Any) -> tuple[EngineDriver, list[dict[str, Any]]]:
    driver = EngineDriver(seed=3)
    driver.send(session_update(tools=[WEATHER_TOOL, LOOKUP_TOOL], **session))
    driver.send(user_text(text))
    driver.send({"type": "response.create"})
    driver.settle()
    return driver, driver.one("response.done")["response"]["output"]


def call_of(output: list[dict[str, Any]]) -> dict[str, Any]:
    (call,) = [item for item in output if item["type"] == "function_call"]
    return call


@pytest.mark.parametrize(
    "text",
    ["What is it like? Use get_weather, city: Paris", "Please GET WEATHER for city=Paris."],
)
def test_naming_a_tool_calls_it_with_the_written_value(text: str) -> None:
    driver, output = answer(text)
    call = call_of(output)
    arguments = json.loads(call["arguments"])
    assert call["name"] == "get_weather"
    assert arguments["city"] == "Paris"
    assert isinstance(arguments["days"], int) and 1 <= arguments["days"] <= 7
    deltas = "".join(e["delta"] for e in driver.of_type("response.function_call_arguments.delta"))
    done = driver.one("response.function_call_arguments.done")
    assert deltas == done["arguments"] == call["arguments"]
    assert (done["name"], done["call_id"]) == ("get_weather", call["call_id"])
    assert call["call_id"].startswith("call_") and call["status"] == "completed"


def test_written_values_take_the_property_type_and_quotes() -> None:
    _, output = answer('get_weather city: "New York" days=3 and lookup_order later')
    assert json.loads(call_of(output)["arguments"]) == {"city": "New York", "days": 3}


def test_the_first_tool_named_is_called() -> None:
    _, output = answer("lookup order order_id: A-17 express=true, then get_weather")
    call = call_of(output)
    assert call["name"] == "lookup_order"
    assert json.loads(call["arguments"]) == {"order_id": "A-17", "express": True}


def test_no_tool_named_means_a_message() -> None:
    _, output = answer("How are you today?")
    (item,) = output
    assert item["type"] == "message" and item["content"][0]["transcript"]


def test_say_before_the_tool_name_gives_a_message_then_the_call() -> None:
    driver, output = answer("Say 'One moment please' and then call get_weather for city: Oslo")
    message, call = output
    assert message["content"] == [{"type": "output_audio", "transcript": "One moment please"}]
    assert call["name"] == "get_weather"
    assert [e["output_index"] for e in driver.of_type("response.output_item.added")] == [0, 1]
    added = [e["item"]["id"] for e in driver.of_type("conversation.item.added")]
    assert added[-2:] == [message["id"], call["id"]]
    second = driver.of_type("conversation.item.added")[-1]
    assert second["previous_item_id"] == message["id"]


def test_tell_without_a_quote_says_a_made_up_sentence_first() -> None:
    _, output = answer("Tell me you are on it, then get_weather city: Rome")
    assert [item["type"] for item in output] == ["message", "function_call"]
    assert output[0]["content"][0]["transcript"].endswith(".")


def test_say_after_the_tool_name_does_not_add_a_message() -> None:
    _, output = answer("get_weather for Rome and say it slowly")
    assert [item["type"] for item in output] == ["function_call"]


def test_tool_choice_none_required_and_forced() -> None:
    _, none = answer("use get_weather", tool_choice="none")
    _, required = answer("anything at all", tool_choice="required")
    _, forced = answer("use get_weather", tool_choice={"type": "function", "name": "lookup_order"})
    assert [item["type"] for item in none] == ["message"]
    assert call_of(required)["name"] == "get_weather"
    assert call_of(forced)["name"] == "lookup_order"


def test_after_a_function_output_the_answer_refers_to_it() -> None:
    driver, output = answer("get_weather city: Paris", output_modalities=["text"])
    call = call_of(output)
    result = {"type": "function_call_output", "call_id": call["call_id"], "output": '{"temp":21}'}
    driver.send({"type": "conversation.item.create", "item": result})
    driver.send({"type": "response.create"})
    driver.settle()
    final = driver.of_type("response.done")[-1]["response"]["output"]
    (message,) = final
    text = message["content"][0]["text"]
    assert text.startswith('The get_weather result is {"temp":21}.')
    added = driver.of_type("conversation.item.added")
    output_item = next(e["item"] for e in added if e["item"]["type"] == "function_call_output")
    assert output_item == {"id": output_item["id"], "status": "completed", **result} | {
        "type": "function_call_output"
    }


def test_tools_given_with_response_create_are_used() -> None:
    driver = EngineDriver()
    driver.send(user_text("please lookup_order order_id=9"))
    driver.send({"type": "response.create", "response": {"tools": [LOOKUP_TOOL]}})
    driver.settle()
    call = call_of(driver.one("response.done")["response"]["output"])
    assert json.loads(call["arguments"])["order_id"] == "9"
