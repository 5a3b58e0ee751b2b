"""A caller that appends audio to a scripted player with `vad:`, chunk by chunk at real time,
on a virtual clock, and the scenario it calls: for the VAD tests and the judgement tests."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from realtime_conformance.conformance.checks.scenario_rules import ScenarioJudgement, judge_scenario
from realtime_conformance.rtproto.audio import synth
from realtime_conformance.rtproto.audio.codecs import from_pcm16_24k
from realtime_conformance.rtproto.audio.formats import PCM16, AudioFormat
from realtime_conformance.rtproto.scenario import parse_scenario
from realtime_conformance.rtproto.scenario.caller import CallerAudio, caller_audio
from realtime_conformance.rtproto.server.realtime.outbox import Send
from tests.support.scenario_tape import RecordedPlayer
from tests.support.virtual_clock import BehaviourClock

HEAD = """\
id: 3.4.9
title: T
requirement: The client MUST work.
dialects: [ga, beta]
delay_ms: 100
pace_ms: 5
"""
SCRIPT = "[{speech_ms: 800}, {silence_ms: 1200}, {speech_ms: 600}, {silence_ms: 400}]"


def text(fmt: AudioFormat = PCM16, *, expect_vad: str = "auto", vad: str = "true") -> str:
    """A scenario whose session is in `fmt`, answering each VAD turn with a short response."""
    session = f"{{session: {{audio: {{input: {{format: {fmt.ga()}}}}}}}}}".replace("'", "")
    return (
        HEAD
        + f"""\
on_start: [{{session.created: {session}}}]
vad: {vad}
expect_vad: {expect_vad}
caller:
  format: {fmt.beta_name}
  lead_in_ms: 500
  script: {SCRIPT}
expect:
  - when: {{type: vad.turn}}
    reply: [{{audio_response: {{transcript: "Sure.", duration_ms: 300}}}}]
"""
    )


@dataclass
class Call:
    """A player and a client that appends audio chunk by chunk at real time."""

    player: RecordedPlayer
    clock: BehaviourClock[RecordedPlayer] = field(init=False)

    def __post_init__(self) -> None:
        self.clock = BehaviourClock(self.player)

    @classmethod
    def start(cls, scenario_text: str) -> Call:
        call = cls(RecordedPlayer(parse_scenario(scenario_text), seed=2))
        call.clock.start(0.0)
        return call

    @property
    def audio(self) -> CallerAudio:
        return caller_audio(self.player.scenario)

    def append(self, chunks: list[bytes], start_at: float = 0.0, ms: float = 20) -> float:
        """Append each chunk when its last sample is spoken; returns when the last one went."""
        at = start_at
        for chunk in chunks:
            at += ms / 1000
            audio = base64.b64encode(chunk).decode("ascii")
            self.clock.send({"type": "input_audio_buffer.append", "audio": audio}, at)
        self.clock.run_out()
        return at

    def judged(self) -> ScenarioJudgement:
        return judge_scenario(self.player.scenario, self.player.lines)

    def speak(self) -> None:
        self.append([chunk.audio for chunk in self.audio.chunks])

    def events(self, *types: str) -> list[tuple[float, dict[str, Any]]]:
        sent = [(at, item.event) for at, item in self.clock.sent if isinstance(item, Send)]
        return [(at, event) for at, event in sent if not types or event["type"] in types]


def silence(fmt: AudioFormat, ms: int) -> list[bytes]:
    return synth.chunk(from_pcm16_24k(synth.silence(ms), fmt), 20, fmt)
