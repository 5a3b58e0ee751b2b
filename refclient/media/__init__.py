"""The media bridge: model audio played into a call in real time, the caller's audio to the API.

    bridge = await start_bridge(TwilioUnit(media_url), output_format=PCM16, input_format=PCM16)
    bridge.on_caller_audio(append_to_input_buffer)   # caller audio, session format, real time
    bridge.enqueue(item_id, content_index, audio)    # model audio as deltas arrive
    bridge.clear()                                   # barge-in: what each item played
    bridge.played(item_id).played_ms                 # the truncation point

- `base`: the interfaces (MediaUnit, MarkingUnit, MediaBridge, PlayedAudio, MediaStarted/Ended).
- `bridge`: PlayoutBridge (absolute deadlines, clear, Started/Ended, caller pump).
- `ledger`: what the far end has played of each item; `queue`: frames cut with their items;
  `convert`: streaming format conversion.
- units: `sockets` (TwilioUnit, Pcm16SocketUnit: dial or accept), `wav` (WavUnit), `memory`
  (MemoryUnit).
"""

from realtime_conformance.refclient.media.base import (
    FRAME_MS,
    MarkingUnit,
    MediaBridge,
    MediaEnded,
    MediaStarted,
    MediaUnit,
    PlayedAudio,
)
from realtime_conformance.refclient.media.bridge import PlayoutBridge, start_bridge
from realtime_conformance.refclient.media.memory import MemoryUnit
from realtime_conformance.refclient.media.sockets import Pcm16SocketUnit, TwilioUnit
from realtime_conformance.refclient.media.wav import WavUnit

__all__ = [
    "FRAME_MS",
    "MarkingUnit",
    "MediaBridge",
    "MediaEnded",
    "MediaStarted",
    "MediaUnit",
    "MemoryUnit",
    "Pcm16SocketUnit",
    "PlayedAudio",
    "PlayoutBridge",
    "TwilioUnit",
    "WavUnit",
    "start_bridge",
]
