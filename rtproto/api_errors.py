"""The HTTP APIs' error answers: `{"error": {message, type, param, code}}` with a status, worded
as the real API words them.

Wording, verbatim where seen on the wire or pasted in public issues (a [2nd] source each):
"Missing required parameter: 'tools[0].name'.", "Unknown parameter: 'foo'.",
"Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got 5
instead.", "you must provide a model parameter" (Chat, code null), "Previous response with id
'resp_x' not found.". Invalid type and invalid value messages follow the same family
("Invalid type for 'temperature': expected a decimal, but got a string instead.").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from realtime_conformance.rtproto.events import (
    JsonInputError,
    decode_json,
    supported_values_message,
)

INVALID_REQUEST = "invalid_request_error"
INVALID_JSON_MESSAGE = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
    "your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not "
    "valid JSON. If you have trouble figuring out how to fix this, please contact us through our "
    "help center at help.openai.com.)"
)


@dataclass
class ApiError(Exception):
    """An error answer: HTTP status, the `error` object's fields, and any headers it carries.

    Not frozen: Python sets `__traceback__` on exceptions it re-raises (through `with` blocks,
    generators), which a frozen dataclass refuses.
    """

    status: int
    message: str
    type: str = INVALID_REQUEST
    param: str | None = None
    code: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"

    def details(self) -> dict[str, Any]:
        return {"message": self.message, "type": self.type, "param": self.param, "code": self.code}

    def body(self) -> dict[str, Any]:
        """The JSON body of the HTTP answer."""
        return {"error": self.details()}


KIND_NAMES = {
    type(None): "null",
    bool: "a boolean",
    int: "an integer",
    float: "a decimal",
    str: "a string",
    list: "an array",
}


def a_kind(value: Any) -> str:
    """How the real API names a JSON value's type in "but got ... instead"."""
    return KIND_NAMES.get(type(value), "an object")


def missing(param: str) -> ApiError:
    return ApiError(
        400,
        f"Missing required parameter: '{param}'.",
        param=param,
        code="missing_required_parameter",
    )


def unknown(param: str) -> ApiError:
    return ApiError(400, f"Unknown parameter: '{param}'.", param=param, code="unknown_parameter")


def invalid_type(param: str, expected: str, value: Any) -> ApiError:
    message = f"Invalid type for '{param}': expected {expected}, but got {a_kind(value)} instead."
    return ApiError(400, message, param=param, code="invalid_type")


def invalid_value(param: str, value: Any, supported: Iterable[str]) -> ApiError:
    message = supported_values_message(str(value), list(supported))
    return ApiError(400, message, param=param, code="invalid_value")


def out_of_range(
    param: str, value: float, limit: float, *, below: bool, kind: str = "integer"
) -> ApiError:
    """`kind` is the parameter's type as the API declares it: "integer" or "decimal"."""
    where, relation = ("below minimum", ">=") if below else ("above maximum", "<=")
    message = (
        f"Invalid '{param}': {kind} {where} value. Expected a value {relation} {limit}, "
        f"but got {value} instead."
    )
    code = f"{kind}_{'below_min' if below else 'above_max'}_value"
    return ApiError(400, message, param=param, code=code)


def string_too_long(param: str, maximum: int, length: int) -> ApiError:
    message = (
        f"Invalid '{param}': string too long. Expected a string with maximum length {maximum}, "
        f"but got a string with length {length} instead."
    )
    return ApiError(400, message, param=param, code="string_above_max_length")


def array_too_long(param: str, maximum: int, length: int) -> ApiError:
    message = (
        f"Invalid '{param}': array too long. Expected an array with maximum length {maximum}, "
        f"but got an array with length {length} instead."
    )
    return ApiError(400, message, param=param, code="array_above_max_length")


def parse_json_body(data: bytes | str) -> dict[str, Any]:
    """The request body as a JSON object, or the error the real API answers for it."""
    try:
        body = decode_json(data)  # the one decoder of client input, with its limits
    except JsonInputError:
        raise ApiError(400, INVALID_JSON_MESSAGE) from None
    if not isinstance(body, dict):
        raise invalid_type("body", "an object", body) from None
    return body


class Fields:
    """Typed reads of one JSON object's fields, raising the real API's error for a bad one.

    `null` reads as absent: the APIs accept null for every optional field.
    """

    def __init__(self, obj: Mapping[str, Any], path: str = "") -> None:
        self.obj = obj
        self.path = path

    def name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def reject_unknown(self, allowed: Iterable[str]) -> None:
        known = set(allowed)
        for key in self.obj:
            if key not in known:
                raise unknown(self.name(key))

    def require(self, key: str) -> Any:
        if self.obj.get(key) is None:
            raise missing(self.name(key))
        return self.obj[key]

    def _typed(self, key: str, types: tuple[type, ...], expected: str) -> Any:
        value = self.obj.get(key)
        if value is None:
            return None
        if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
            raise invalid_type(self.name(key), expected, value)
        return value

    def string(self, key: str, *, max_length: int | None = None) -> str | None:
        value: str | None = self._typed(key, (str,), "a string")
        if value is not None and max_length is not None and len(value) > max_length:
            raise string_too_long(self.name(key), max_length, len(value))
        return value

    def boolean(self, key: str) -> bool | None:
        value: bool | None = self._typed(key, (bool,), "a boolean")
        return value

    def integer(
        self, key: str, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        value: int | None = self._typed(key, (int,), "an integer")
        self._in_range(key, value, minimum, maximum, "integer")
        return value

    def number(
        self, key: str, minimum: float | None = None, maximum: float | None = None
    ) -> float | None:
        value: float | None = self._typed(key, (int, float), "a decimal")
        self._in_range(key, value, minimum, maximum, "decimal")
        return value

    def _in_range(self, key: str, value: Any, minimum: Any, maximum: Any, kind: str) -> None:
        if value is not None and minimum is not None and value < minimum:
            raise out_of_range(self.name(key), value, minimum, below=True, kind=kind)
        if value is not None and maximum is not None and value > maximum:
            raise out_of_range(self.name(key), value, maximum, below=False, kind=kind)

    def enum(self, key: str, supported: Iterable[str]) -> str | None:
        choices = list(supported)
        value = self.string(key)
        if value is not None and value not in choices:
            raise invalid_value(self.name(key), value, choices)
        return value

    def object(self, key: str) -> Fields | None:
        value = self._typed(key, (dict,), "an object")
        return None if value is None else Fields(value, self.name(key))

    def array(self, key: str, *, max_items: int | None = None) -> list[Any] | None:
        value: list[Any] | None = self._typed(key, (list,), "an array")
        if value is not None and max_items is not None and len(value) > max_items:
            raise array_too_long(self.name(key), max_items, len(value))
        return value

    def items(self, key: str) -> list[Fields]:
        """The elements of an array of objects, each as Fields named `key[i]`."""
        found = []
        for index, element in enumerate(self.array(key) or []):
            path = f"{self.name(key)}[{index}]"
            if not isinstance(element, dict):
                raise invalid_type(path, "an object", element)
            found.append(Fields(element, path))
        return found


def metadata(fields: Fields, key: str = "metadata") -> dict[str, str] | None:
    """Up to 16 string pairs; keys up to 64 characters, values up to 512 (both APIs)."""
    holder = fields.object(key)
    if holder is None:
        return None
    if len(holder.obj) > 16:
        message = (
            f"Invalid '{holder.path}': too many properties. Expected an object with at most 16 "
            f"properties, but got an object with {len(holder.obj)} properties instead."
        )
        raise ApiError(400, message, param=holder.path, code="object_above_max_properties")
    for name in holder.obj:
        if len(name) > 64:
            raise string_too_long(f"{holder.path}.{name}", 64, len(name))
        holder.string(name, max_length=512)
    return dict(holder.obj)
