"""Runnable examples of the reference client (see README.md here).

- `voice_agent`: a WAV caller bridged to a Realtime server; writes what the caller heard.
- `caller_wav`: a synthetic caller WAV (speech-like turns from rtproto.audio.synth) to feed it.
"""
