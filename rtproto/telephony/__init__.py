"""Telephony media-stream wire formats, sans-I/O: what a carrier and a bridge say to each other.

- `twilio`: Twilio Media Streams (JSON text frames, base64 G.711 mu-law 8 kHz, 20 ms frames).
- `pcm16`: the raw PCM16 form (binary frames of 20 ms PCM16 at 24 kHz, small JSON controls).
"""

import numpy as np

from realtime_conformance.rtproto.audio.codecs import encode
from realtime_conformance.rtproto.audio.formats import AudioFormat

FRAME_MS = 20  # one carrier frame: what telephony media streams send and expect


def silence(fmt: AudioFormat, byte_count: int) -> bytes:
    """`byte_count` bytes of a silent line in `fmt` (mu-law 0xFF, A-law 0xD5, PCM16 zeros):
    what a live call sends when nobody speaks, and what pads a short last frame."""
    return encode(np.zeros(fmt.samples(byte_count), dtype=np.int16), fmt)
