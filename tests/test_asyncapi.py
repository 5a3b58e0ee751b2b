"""The AsyncAPI documents: complete, valid against the official spec, and up to date."""

from __future__ import annotations

import importlib.util
import json
from enum import StrEnum
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from realtime_conformance.refclient.events import (
    ChatCompletionsAPIEvents,
    RealtimeAPIEvents,
    ResponsesAPIEvents,
    is_provider_event,
)
from realtime_conformance.rtproto.catalogue import DOCUMENTS, Api, load_catalogue
from realtime_conformance.rtproto.schema_store import SchemaStore
from realtime_conformance.schemas import SCHEMA_ROOT
from tests.support.seeds import CHANNELS_37, SEED_CHANNELS, seed_text, voxengine_constants
from tests.support.yaml_files import read_yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
SPEC_SCHEMA = Path(__file__).parent / "data" / "asyncapi-3.0.0-schema.json"


def test_seed_lists_exactly_the_37_channels_in_order() -> None:
    text = seed_text(SEED_CHANNELS)
    assert "37 channels" in text
    positions = [text.find(description) for _, description in CHANNELS_37]
    missing = [d for (_, d), at in zip(CHANNELS_37, positions, strict=True) if at == -1]
    assert not missing
    assert positions == sorted(positions)
    names = [name for name, _ in CHANNELS_37]
    assert names == sorted(names) and len(set(names)) == 37


def test_every_seed_channel_is_in_the_realtime_document_with_a_beta_message() -> None:
    catalogue = load_catalogue()
    channels = set(catalogue.channel_names("realtime"))
    missing = [name for name, _ in CHANNELS_37 if name not in channels]
    assert not missing
    store = SchemaStore()
    for name, _ in CHANNELS_37:
        spec = catalogue.lookup("realtime", name, "beta")
        assert spec is not None, f"channel {name} has no beta message"
        assert store.schema(spec.schema_path)["title"] == name


@pytest.mark.parametrize(
    ("group", "enum", "api", "dialect"),
    [
        ("RealtimeAPIEvents", RealtimeAPIEvents, "realtime", "ga"),
        ("ResponsesAPIEvents", ResponsesAPIEvents, "responses", ""),
        ("ChatCompletionsAPIEvents", ChatCompletionsAPIEvents, "chat", ""),
    ],
)
def test_every_voxengine_provider_event_has_a_schema(
    group: str, enum: type[StrEnum], api: Api, dialect: str
) -> None:
    names = voxengine_constants(group)
    assert names, f"seed 001 lists no {group}"
    assert set(names) == set(enum.__members__), "refclient constants differ from seed 001"
    catalogue, store = load_catalogue(), SchemaStore()
    provider = [enum[name] for name in names if is_provider_event(enum[name])]
    for constant in provider:
        spec = catalogue.lookup(api, constant.value, dialect)
        assert spec is not None, f"{group}.{constant.name} ({constant.value}) has no schema"
        assert store.schema(spec.schema_path)["title"] == constant.value


def test_seed_001_counts_match_the_brief() -> None:
    counts = {
        group: len(voxengine_constants(group))
        for group in ("RealtimeAPIEvents", "ResponsesAPIEvents", "ChatCompletionsAPIEvents")
    }
    assert counts == {
        "RealtimeAPIEvents": 43,
        "ResponsesAPIEvents": 52,
        "ChatCompletionsAPIEvents": 15,
    }


def test_every_event_file_is_in_a_document_and_every_message_has_its_file() -> None:
    catalogue, store = load_catalogue(), SchemaStore()
    referenced = {spec.schema_path for channel in catalogue.channels for spec in channel.events}
    # Event files live below an API's folder; files at the top (scenario.schema.json) and in
    # other folders (driver/: the command driver's lines) are not events.
    event_files = {
        p for p in store.documents if "/components/" not in p and p.split("/")[0] in DOCUMENTS
    }
    assert referenced == event_files


@pytest.mark.parametrize("document", sorted(DOCUMENTS.values()))
def test_document_validates_against_the_official_asyncapi_3_schema(document: str) -> None:
    spec_schema = json.loads(SPEC_SCHEMA.read_text(encoding="utf-8"))
    instance = read_yaml(SCHEMA_ROOT / document)
    errors = sorted(Draft7Validator(spec_schema).iter_errors(instance), key=str)
    assert not errors, "\n".join(f"{e.json_path}: {e.message[:200]}" for e in errors[:10])


def test_the_official_schema_rejects_a_broken_document() -> None:
    """The spec test can fail: a channel with an undeclared field is caught."""
    spec_schema = json.loads(SPEC_SCHEMA.read_text(encoding="utf-8"))
    instance = read_yaml(SCHEMA_ROOT / DOCUMENTS["chat"])
    instance["channels"]["chat.completion.chunk"]["topic"] = "not an AsyncAPI field"
    assert not Draft7Validator(spec_schema).is_valid(instance)


def test_documents_are_what_the_generator_writes() -> None:
    spec = importlib.util.spec_from_file_location("gen", REPO_ROOT / "tools" / "gen_asyncapi.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    for document in DOCUMENTS.values():
        committed = (SCHEMA_ROOT / document).read_text(encoding="utf-8")
        assert committed == generator.render(document), (
            f"{document} is stale: run tools/gen_asyncapi.py"
        )
