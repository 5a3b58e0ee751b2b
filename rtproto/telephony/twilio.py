"""Twilio Media Streams messages, both ways: build them and parse them (sans-I/O).

Facts (twilio.com/docs/voice/media-streams/websocket-messages):

- From Twilio (the call): `connected` {protocol "Call", version "1.0.0"} first, then `start`
  once ({sequenceNumber, streamSid, start: {accountSid, streamSid, callSid, tracks,
  customParameters, mediaFormat: {encoding "audio/x-mulaw", sampleRate 8000, channels 1}}}),
  then `media` ({media: {track "inbound", chunk, timestamp, payload}}: base64 mu-law, 20 ms;
  chunk counts from "1", timestamp is ms since the stream started), `mark` ({mark: {name}})
  echoing a bridge's mark, `dtmf` and finally `stop` ({stop: {accountSid, callSid}}). Every
  message but `connected` carries `sequenceNumber` (a string counting from "1") and `streamSid`;
  numbers are strings.
- From the bridge (bidirectional streams): `media` {streamSid, media: {payload}}, `mark`
  {streamSid, mark: {name}} and `clear` {streamSid}. Twilio plays media in order; it echoes a
  mark once the audio sent before it has played (at once when nothing is queued); on `clear` it
  empties its buffer and echoes every pending mark.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from realtime_conformance.rtproto.audio.formats import G711_ULAW
from realtime_conformance.rtproto.telephony import FRAME_MS

PROTOCOL = "Call"
VERSION = "1.0.0"
ENCODING = "audio/x-mulaw"
AUDIO_FORMAT = G711_ULAW  # the only format Twilio streams
FRAME_BYTES = AUDIO_FORMAT.bytes_for_ms(FRAME_MS)  # 160
INBOUND_TRACK = "inbound"
CALL_EVENTS = frozenset({"connected", "start", "media", "mark", "dtmf", "stop"})
BRIDGE_EVENTS = frozenset({"media", "mark", "clear"})


class TwilioMessageError(ValueError):
    """A text frame that is not a well-formed Media Streams message of the expected side."""


@dataclass(frozen=True)
class Connected:
    protocol: str = PROTOCOL
    version: str = VERSION


@dataclass(frozen=True)
class Start:
    stream_sid: str
    call_sid: str
    account_sid: str
    custom_parameters: Mapping[str, str] = field(default_factory=dict)
    tracks: tuple[str, ...] = (INBOUND_TRACK,)
    encoding: str = ENCODING
    sample_rate: int = AUDIO_FORMAT.sample_rate
    channels: int = 1
    sequence_number: int = 1


@dataclass(frozen=True)
class Media:
    """Audio: from the call with track/chunk/timestamp, from the bridge with payload only."""

    stream_sid: str
    payload: bytes = field(repr=False)
    track: str | None = None
    chunk: int | None = None
    timestamp_ms: int | None = None
    sequence_number: int | None = None


@dataclass(frozen=True)
class Mark:
    stream_sid: str
    name: str
    sequence_number: int | None = None


@dataclass(frozen=True)
class Clear:
    stream_sid: str


@dataclass(frozen=True)
class Dtmf:
    stream_sid: str
    digit: str
    sequence_number: int | None = None


@dataclass(frozen=True)
class Stop:
    stream_sid: str
    call_sid: str
    account_sid: str
    sequence_number: int | None = None


CallMessage = Connected | Start | Media | Mark | Dtmf | Stop
BridgeMessage = Media | Mark | Clear


def dumps(message: Mapping[str, Any]) -> str:
    """The text frame of a message (compact JSON, as Twilio sends)."""
    return json.dumps(message, separators=(",", ":"))


# --- building ----------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class CallSide:
    """Builds the messages a call sends, numbering sequenceNumber and media chunk as Twilio."""

    def __init__(self, stream_sid: str, call_sid: str, account_sid: str) -> None:
        self.stream_sid, self.call_sid, self.account_sid = stream_sid, call_sid, account_sid
        self._sequence = 0
        self._chunk = 0

    def _next(self) -> str:
        self._sequence += 1
        return str(self._sequence)

    def connected(self) -> dict[str, Any]:
        return {"event": "connected", "protocol": PROTOCOL, "version": VERSION}

    def start(self, custom_parameters: Mapping[str, str] | None = None) -> dict[str, Any]:
        return {
            "event": "start",
            "sequenceNumber": self._next(),
            "start": {
                "accountSid": self.account_sid,
                "streamSid": self.stream_sid,
                "callSid": self.call_sid,
                "tracks": [INBOUND_TRACK],
                "customParameters": dict(custom_parameters or {}),
                "mediaFormat": {
                    "encoding": ENCODING,
                    "sampleRate": AUDIO_FORMAT.sample_rate,
                    "channels": 1,
                },
            },
            "streamSid": self.stream_sid,
        }

    def media(self, payload: bytes, timestamp_ms: int) -> dict[str, Any]:
        self._chunk += 1
        media = {"track": INBOUND_TRACK, "chunk": str(self._chunk),
                 "timestamp": str(timestamp_ms), "payload": b64(payload)}  # fmt: skip
        return {"event": "media", "sequenceNumber": self._next(), "media": media,
                "streamSid": self.stream_sid}  # fmt: skip

    def mark(self, name: str) -> dict[str, Any]:
        return {"event": "mark", "sequenceNumber": self._next(), "streamSid": self.stream_sid,
                "mark": {"name": name}}  # fmt: skip

    def stop(self) -> dict[str, Any]:
        stop = {"accountSid": self.account_sid, "callSid": self.call_sid}
        return {"event": "stop", "sequenceNumber": self._next(), "streamSid": self.stream_sid,
                "stop": stop}  # fmt: skip


def bridge_media(stream_sid: str, payload: bytes) -> dict[str, Any]:
    return {"event": "media", "streamSid": stream_sid, "media": {"payload": b64(payload)}}


def bridge_mark(stream_sid: str, name: str) -> dict[str, Any]:
    return {"event": "mark", "streamSid": stream_sid, "mark": {"name": name}}


def bridge_clear(stream_sid: str) -> dict[str, Any]:
    return {"event": "clear", "streamSid": stream_sid}


# --- parsing -----------------------------------------------------------------------------------


def loads(text: str | bytes) -> dict[str, Any]:
    """The JSON object of a text frame, or TwilioMessageError saying why not."""
    if isinstance(text, bytes):
        raise TwilioMessageError("Media Streams messages are text frames, got a binary frame")
    try:
        message = json.loads(text)
    except ValueError as error:
        raise TwilioMessageError(f"not JSON ({error}): {text[:60]!r}") from None
    if not isinstance(message, dict):
        raise TwilioMessageError(f"expected a JSON object, got {type(message).__name__}")
    if not isinstance(message.get("event"), str):
        raise TwilioMessageError(f"no string 'event' in {text[:60]!r}")
    return message


def _field(obj: Mapping[str, Any], key: str, where: str, kind: type = str) -> Any:
    value = obj.get(key)
    if not isinstance(value, kind):
        raise TwilioMessageError(f"{where}: '{key}' must be a {kind.__name__}, got {value!r}")
    return value


def _object(obj: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value: Mapping[str, Any] = _field(obj, key, where, dict)
    return value


def _number(obj: Mapping[str, Any], key: str, where: str) -> int | None:
    """A numeric string field (Twilio sends numbers as strings); None when absent."""
    if key not in obj:
        return None
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).isdigit():
        raise TwilioMessageError(f"{where}: '{key}' must be a numeric string, got {value!r}")
    return int(value)


def _payload(media: Mapping[str, Any], where: str) -> bytes:
    text = _field(media, "payload", where)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise TwilioMessageError(f"{where}: payload is not base64 ({error})") from None


def _custom_parameters(start: Mapping[str, Any]) -> dict[str, str]:
    params = start.get("customParameters", {})
    if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
        raise TwilioMessageError(f"start: customParameters must map names to strings: {params!r}")
    return dict(params)


def _parse_start(message: Mapping[str, Any]) -> Start:
    start = _object(message, "start", "start")
    fmt = _object(start, "mediaFormat", "start")
    tracks = start.get("tracks", [INBOUND_TRACK])
    if not isinstance(tracks, list) or not all(isinstance(t, str) for t in tracks):
        raise TwilioMessageError(f"start: tracks must be a list of strings, got {tracks!r}")
    return Start(
        stream_sid=_field(start, "streamSid", "start"),
        call_sid=_field(start, "callSid", "start"),
        account_sid=str(start.get("accountSid", "")),
        custom_parameters=_custom_parameters(start),
        tracks=tuple(tracks),
        encoding=_field(fmt, "encoding", "start.mediaFormat"),
        sample_rate=_field(fmt, "sampleRate", "start.mediaFormat", int),
        channels=int(fmt.get("channels", 1)),
        sequence_number=_number(message, "sequenceNumber", "start") or 1,
    )


def _parse_call_media(message: Mapping[str, Any]) -> Media:
    media = _object(message, "media", "media")
    return Media(
        stream_sid=_field(message, "streamSid", "media"),
        payload=_payload(media, "media"),
        track=_field(media, "track", "media"),
        chunk=_number(media, "chunk", "media"),
        timestamp_ms=_number(media, "timestamp", "media"),
        sequence_number=_number(message, "sequenceNumber", "media"),
    )


def _parse_mark(message: Mapping[str, Any]) -> Mark:
    mark = _object(message, "mark", "mark")
    return Mark(
        stream_sid=_field(message, "streamSid", "mark"),
        name=_field(mark, "name", "mark"),
        sequence_number=_number(message, "sequenceNumber", "mark"),
    )


def _parse_stop(message: Mapping[str, Any]) -> Stop:
    stop = message.get("stop", {})
    if not isinstance(stop, dict):
        raise TwilioMessageError(f"stop: 'stop' must be an object, got {stop!r}")
    return Stop(
        stream_sid=_field(message, "streamSid", "stop"),
        call_sid=str(stop.get("callSid", "")),
        account_sid=str(stop.get("accountSid", "")),
        sequence_number=_number(message, "sequenceNumber", "stop"),
    )


def _parse_dtmf(message: Mapping[str, Any]) -> Dtmf:
    dtmf = _object(message, "dtmf", "dtmf")
    return Dtmf(
        stream_sid=_field(message, "streamSid", "dtmf"),
        digit=_field(dtmf, "digit", "dtmf"),
        sequence_number=_number(message, "sequenceNumber", "dtmf"),
    )


def parse_call_message(text: str | bytes) -> CallMessage:
    """A message sent by the call (Twilio) to the bridge."""
    message = loads(text)
    event = message["event"]
    if event == "connected":
        return Connected(str(message.get("protocol", "")), str(message.get("version", "")))
    parsers: dict[str, Callable[[Mapping[str, Any]], CallMessage]] = {
        "start": _parse_start,
        "media": _parse_call_media,
        "mark": _parse_mark,
        "dtmf": _parse_dtmf,
        "stop": _parse_stop,
    }
    if event not in parsers:
        raise TwilioMessageError(f"unknown event {event!r} from the call; expected one of "
                                 f"{sorted(CALL_EVENTS)}")  # fmt: skip
    return parsers[event](message)


def parse_bridge_message(text: str | bytes) -> BridgeMessage:
    """A message sent by the bridge (the client under test) to the call."""
    message = loads(text)
    event = message["event"]
    if event == "media":
        media = _object(message, "media", "media")
        return Media(_field(message, "streamSid", "media"), _payload(media, "media"))
    if event == "mark":
        return _parse_mark(message)
    if event == "clear":
        return Clear(_field(message, "streamSid", "clear"))
    raise TwilioMessageError(
        f"unknown event {event!r} from the bridge; expected one of {sorted(BRIDGE_EVENTS)}"
    )
