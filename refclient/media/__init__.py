"""The media bridge: model audio played into a call in real time, the caller's audio to the API.

`base` holds the two interfaces the reference client and the media units meet at; the units
(Twilio Media Streams, raw PCM16, WAV, in memory) and the bridge itself live beside it.
"""
