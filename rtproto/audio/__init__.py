"""Audio of the Realtime API, sans-I/O: formats, codecs, voice activity detection, synthetic
speech and the input audio buffer. Data in, data out; no clocks: time is the audio's own
timeline (milliseconds of audio appended since the session began).

- `formats`: PCM16 / G.711 mu-law / A-law, beta and GA names, byte <-> millisecond math.
- `codecs`: decode/encode (G.711 by lookup table), soxr resampling, strict base64.
- `vad`: ServerVad, SemanticVad (approximation), IdleTimeout, vad_from_config.
- `synth`: seeded speech-like bursts, caller scripts, word timing, chunking.
- `buffer`: InputAudioBuffer (append/commit/clear, VAD auto-commit, idle timeout).
"""

from realtime_conformance.rtproto.audio.buffer import BufferEvent, CommittedAudio, InputAudioBuffer
from realtime_conformance.rtproto.audio.codecs import (
    b64decode_audio,
    b64encode_audio,
    decode,
    encode,
    from_pcm16_24k,
    resample,
    to_pcm16_24k,
)
from realtime_conformance.rtproto.audio.formats import (
    G711_ALAW,
    G711_ULAW,
    PCM16,
    AudioFormat,
    parse_format,
)
from realtime_conformance.rtproto.audio.vad import (
    IdleTimedOut,
    IdleTimeout,
    SemanticVad,
    ServerVad,
    SpeechStarted,
    SpeechStopped,
    vad_from_config,
)

__all__ = [
    "G711_ALAW",
    "G711_ULAW",
    "PCM16",
    "AudioFormat",
    "BufferEvent",
    "CommittedAudio",
    "IdleTimedOut",
    "IdleTimeout",
    "InputAudioBuffer",
    "SemanticVad",
    "ServerVad",
    "SpeechStarted",
    "SpeechStopped",
    "b64decode_audio",
    "b64encode_audio",
    "decode",
    "encode",
    "from_pcm16_24k",
    "parse_format",
    "resample",
    "to_pcm16_24k",
    "vad_from_config",
]
