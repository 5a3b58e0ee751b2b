"""The virtual call: the caller's side of a phone call, as a WebSocket media endpoint.

- `playout`: the carrier's playout model (pure): when the caller heard what the client sent.
- `virtual_call`: `VirtualCall`, the live endpoint (Twilio Media Streams or raw PCM16), which
  plays the caller's script in real time and records the call wire both ways.
"""
