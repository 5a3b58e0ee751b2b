"""The default conversation: items in order, and what the server knows of their audio.

Insertion follows the SDK docstring of `conversation.item.create`: no `previous_item_id`
appends at the end, `"root"` inserts at the beginning, an existing id inserts right after it,
an unknown id is an error and nothing is added. Assistant audio is known as it is sent: each
audio item keeps the times its audio went out, so a truncate is judged against the audio the
client can have received at that moment ("Audio content of 2450ms is already shorter than
2535ms"), not against audio still to come; the transcript keeps the words said in full by
`audio_end_ms` (rtproto.server.realtime.speech). A user audio item remembers what the caller said
in it
(`heard`, from the caller transcript), which the simulated model reads as if it had listened.
"""

from __future__ import annotations

import copy
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

from realtime_conformance.rtproto.audio.synth import TimedWord, text_heard
from realtime_conformance.rtproto.server.realtime import errors

ROOT = "root"


@dataclass
class AudioTrack:
    """Assistant output audio of one item: when each piece was sent, and the words' timing."""

    sent: list[tuple[float, float]] = field(default_factory=list)  # (time, total ms so far)
    words: list[TimedWord] = field(default_factory=list)

    def known_ms(self, now: float) -> float:
        index = bisect_right([at for at, _ in self.sent], now)
        return self.sent[index - 1][1] if index else 0.0

    def transcript_until(self, audio_ms: float) -> str:
        return text_heard(self.words, audio_ms)

    def cut(self, audio_ms: float) -> None:
        self.sent = [(at, min(total, audio_ms)) for at, total in self.sent]


@dataclass
class Entry:
    item: dict[str, Any]  # the server's view of the item, as events carry it
    audio: AudioTrack | None = None  # assistant output audio
    input_audio_ms: float = 0.0  # user input audio (committed buffer or input_audio parts)
    heard: str | None = None  # what the caller said in a committed turn, when a script says


class Conversation:
    def __init__(self) -> None:
        self._entries: list[Entry] = []

    def __len__(self) -> int:
        return len(self._entries)

    def ids(self) -> list[str]:
        return [entry.item["id"] for entry in self._entries]

    def last_id(self) -> str | None:
        return self._entries[-1].item["id"] if self._entries else None

    def entries(self) -> list[Entry]:
        return list(self._entries)

    def get(self, item_id: str) -> Entry | None:
        return next((entry for entry in self._entries if entry.item["id"] == item_id), None)

    def previous_id(self, item_id: str) -> str | None:
        ids = self.ids()
        index = ids.index(item_id)
        return ids[index - 1] if index else None

    def insert(self, entry: Entry, previous_item_id: str | None = None) -> str | None:
        """Add an item; returns the id of the item now before it (None at the beginning)."""
        item_id = entry.item["id"]
        if self.get(item_id) is not None:
            raise errors.duplicate_item_id(item_id)
        if previous_item_id is None:
            position = len(self._entries)
        elif previous_item_id == ROOT:
            position = 0
        elif previous_item_id in self.ids():
            position = self.ids().index(previous_item_id) + 1
        else:
            raise errors.create_unknown_previous_item(previous_item_id)
        self._entries.insert(position, entry)
        return self.previous_id(item_id)

    def replace(self, item: dict[str, Any]) -> None:
        entry = self.get(item["id"])
        if entry is not None:
            entry.item = item

    def delete(self, item_id: str) -> None:
        entry = self.get(item_id)
        if entry is None:
            raise errors.delete_unknown_item(item_id)
        self._entries.remove(entry)

    def discard(self, item_id: str) -> None:
        """Drop an item that was never announced (a cancelled response's unsent output)."""
        self._entries = [entry for entry in self._entries if entry.item["id"] != item_id]

    def retrieve(self, item_id: str) -> dict[str, Any]:
        entry = self.get(item_id)
        if entry is None:
            raise errors.retrieve_unknown_item(item_id)
        return copy.deepcopy(entry.item)

    def assistant_audio_present(self, now: float) -> bool:
        return any(entry.audio and entry.audio.known_ms(now) > 0 for entry in self._entries)

    def truncate(self, item_id: str, content_index: int, audio_end_ms: int, now: float) -> None:
        """Cut an assistant audio item at `audio_end_ms`; its transcript keeps what was said."""
        entry = self.get(item_id)
        if entry is None:
            raise errors.truncate_unknown_item(item_id)
        known = entry.audio.known_ms(now) if entry.audio else 0.0
        if entry.audio is None or content_index != 0 or known == 0:
            raise errors.truncate_not_audio()
        if audio_end_ms > known:
            raise errors.truncate_past_audio(known, audio_end_ms)
        entry.audio.cut(audio_end_ms)
        item = copy.deepcopy(entry.item)
        item["content"][0]["transcript"] = entry.audio.transcript_until(audio_end_ms)
        entry.item = item
