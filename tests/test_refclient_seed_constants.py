"""Every event constant of seed 001 (the VoxEngine `OpenAI` module reference) exists under its
enum in refclient, with the seed's name, read from the seed file itself: 2 `Events`, 43
`RealtimeAPIEvents`, 52 `ResponsesAPIEvents`, 15 `ChatCompletionsAPIEvents` (112)."""

from __future__ import annotations

import re
from enum import StrEnum

import pytest

from realtime_conformance import refclient
from tests.support.seeds import SEED_VOXENGINE, seed_text

GROUPS: dict[str, type[StrEnum]] = {
    "Events": refclient.Events,
    "RealtimeAPIEvents": refclient.RealtimeAPIEvents,
    "ResponsesAPIEvents": refclient.ResponsesAPIEvents,
    "ChatCompletionsAPIEvents": refclient.ChatCompletionsAPIEvents,
}
EXPECTED_COUNTS = {
    "Events": 2,
    "RealtimeAPIEvents": 43,
    "ResponsesAPIEvents": 52,
    "ChatCompletionsAPIEvents": 15,
}
# How the seed names a constant: "Event constant: `Group.Name`" under each event's heading.
CONSTANT_LINE = re.compile(r"Event constant: `(\w+)\.(\w+)`")


def seed_constants() -> list[tuple[str, str]]:
    """(group, name) of every constant the seed lists, in the seed's order."""
    return CONSTANT_LINE.findall(seed_text(SEED_VOXENGINE))


def test_the_seed_lists_112_constants_in_four_groups() -> None:
    found = seed_constants()
    counts = {group: sum(1 for g, _ in found if g == group) for group in GROUPS}
    assert counts == EXPECTED_COUNTS
    assert len(found) == len(set(found)) == 112


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_every_seed_constant_exists_under_its_enum_with_the_seeds_name(group: str) -> None:
    enum = GROUPS[group]
    names = [name for g, name in seed_constants() if g == group]
    missing = [name for name in names if name not in enum.__members__]
    assert not missing, f"refclient.{group} lacks {missing}"
    extra = sorted(set(enum.__members__) - set(names))
    assert not extra, f"refclient.{group} has constants the seed does not list: {extra}"
    for name in names:  # attribute access, as an application writes it
        assert getattr(enum, name) is enum[name]


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_no_two_constants_of_a_group_share_a_value(group: str) -> None:
    """A shared value would make one constant an alias: its handlers would hear the other's
    events."""
    enum = GROUPS[group]
    assert len(list(enum)) == len(enum.__members__)


def test_the_groups_are_exported_by_the_package_under_the_seeds_names() -> None:
    for group, enum in GROUPS.items():
        assert getattr(refclient, group) is enum
        assert enum.__name__ == group
