"""Telephony media-stream wire formats, sans-I/O: what a carrier and a bridge say to each other.

- `twilio`: Twilio Media Streams (JSON text frames, base64 G.711 mu-law 8 kHz, 20 ms frames).
- `pcm16`: the raw PCM16 form (binary frames of 20 ms PCM16 at 24 kHz, small JSON controls).
"""

FRAME_MS = 20  # one carrier frame: what telephony media streams send and expect
