"""The deterministic raw material of a simulated model: text, tokens, ids, JSON, tiny images.

Each request gets its own `Simulation`, seeded from the server's seed, the request body and how
many identical bodies came before it: the same seed and the same requests give the same streams,
id for id, while a repeated request still gets fresh ids.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import string
import struct
import zlib
from collections.abc import Callable
from typing import Any

from faker import Faker

from realtime_conformance.rtproto import wire

ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
# Property names whose values faker can make realistic.
NAMED_VALUES = {
    "city": "city",
    "location": "city",
    "country": "country",
    "name": "name",
    "email": "email",
    "date": "date",
    "url": "url",
    "address": "address",
}


TRANSPORT_ONLY = frozenset({"stream", "stream_options"})


def request_seed(seed: int | str, body: dict[str, Any], occurrence: int = 0) -> int:
    """The seed of one request: streaming or not, the same request gets the same answer."""
    content = {key: value for key, value in body.items() if key not in TRANSPORT_ONLY}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(f"{seed}\0{occurrence}\0{canonical}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


class SeedSequence:
    """Seeds for a server's requests: the same body a second time gets the next seed."""

    def __init__(self, seed: int | str) -> None:
        self.seed = seed
        self._seen: dict[str, int] = {}

    def simulation_for(self, body: dict[str, Any]) -> Simulation:
        key = request_seed(0, body)
        occurrence = self._seen.get(str(key), 0)
        self._seen[str(key)] = occurrence + 1
        return Simulation(request_seed(self.seed, body, occurrence))


def count_tokens(text: str) -> int:
    """A plausible token count: the number of text pieces (`rtproto.wire.text_pieces`)."""
    return len(wire.text_pieces(text))


class Simulation:
    """Seeded generators for one request."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.faker = Faker("en_US")
        self.faker.seed_instance(seed)

    # ids, shaped like the real ones
    def hex_id(self, prefix: str, length: int = 50) -> str:
        """`resp_0da443d9…`, `msg_…`, `fc_…`: a prefix and 50 hex digits."""
        return f"{prefix}_" + "".join(self.random.choices(HEX, k=length))

    def alnum_id(self, prefix: str, length: int = 24, separator: str = "_") -> str:
        """`call_AB6AaRZ1FYZB2RwS6A5vbdqn`, `chatcmpl-ABfw…`."""
        return prefix + separator + "".join(self.random.choices(ALNUM, k=length))

    def obfuscation(self, delta: str) -> str:
        """Padding that evens out event sizes, as the real API adds to deltas (`rtproto.wire`)."""
        return wire.obfuscation(delta, self.random)

    # text
    def sentences(self, count: int) -> str:
        return " ".join(
            self.faker.sentence(nb_words=self.random.randint(5, 12)) for _ in range(count)
        )

    def words(self, count: int) -> str:
        return " ".join(self.faker.words(nb=count))

    def logprob(self) -> float:
        return -round(self.random.expovariate(4.0), 8)

    # JSON shaped by a JSON Schema (arguments of a tool call, structured output)
    def json_for(self, schema: Any, depth: int = 0, name: str = "") -> Any:
        """A value valid for `schema` (the subset tools use); `name` is its property name."""
        if not isinstance(schema, dict) or depth > 4:
            return self.faker.word()
        if schema.get("enum"):
            return schema["enum"][0]
        if "const" in schema:
            return schema["const"]
        for union in ("anyOf", "oneOf"):
            if schema.get(union):
                return self.json_for(schema[union][0], depth + 1, name)
        kind = schema.get("type", "object" if "properties" in schema else "string")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        return self._json_of_type(str(kind), schema, depth, name)

    def _json_of_type(self, kind: str, schema: dict[str, Any], depth: int, name: str) -> Any:
        makers: dict[str, Callable[[], Any]] = {
            "integer": lambda: self.random.randint(1, 100),
            "number": lambda: round(self.random.uniform(1, 100), 1),
            "boolean": lambda: self.random.random() < 0.5,
            "null": lambda: None,
        }
        if kind == "object":
            properties = schema.get("properties") or {}
            return {key: self.json_for(sub, depth + 1, key) for key, sub in properties.items()}
        if kind == "array":
            return [self.json_for(schema.get("items", {}), depth + 1, name)]
        if kind in makers:
            return makers[kind]()
        provider = NAMED_VALUES.get(name.lower())
        return str(getattr(self.faker, provider)()) if provider else self.faker.word()

    # images
    def png(self, size: int = 4) -> bytes:
        """A tiny valid PNG: `size` x `size` pixels of one seeded colour."""
        colour = bytes(self.random.randrange(256) for _ in range(3))
        rows = b"".join(b"\x00" + colour * size for _ in range(size))
        header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(rows))
            + _chunk(b"IEND", b"")
        )

    def png_base64(self, size: int = 4) -> str:
        return base64.b64encode(self.png(size)).decode("ascii")


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
