"""Twilio Media Streams and raw PCM16 socket messages: built, parsed back, refused when bad."""

from __future__ import annotations

import json

import pytest

from realtime_conformance.rtproto.audio.formats import G711_ULAW, PCM16
from realtime_conformance.rtproto.telephony import FRAME_MS, pcm16, silence, twilio


def test_the_calls_messages_parse_back_to_what_was_built() -> None:
    side = twilio.CallSide("MZ1", "CA1", "AC1")
    messages = [side.connected(), side.start({"tenant": "acme"}), side.media(b"\x7f" * 160, 0),
                side.media(b"\x00" * 160, 20), side.mark("m1"), side.stop()]  # fmt: skip
    parsed = [twilio.parse_call_message(twilio.dumps(m)) for m in messages]
    assert parsed[0] == twilio.Connected("Call", "1.0.0")
    start = parsed[1]
    assert isinstance(start, twilio.Start)
    assert (start.stream_sid, start.call_sid, start.custom_parameters) == (
        "MZ1",
        "CA1",
        {"tenant": "acme"},
    )
    assert (start.encoding, start.sample_rate, start.channels) == ("audio/x-mulaw", 8000, 1)
    media = parsed[3]
    assert isinstance(media, twilio.Media)
    assert (media.chunk, media.timestamp_ms, media.track, media.payload) == (
        2,
        20,
        "inbound",
        bytes(160),
    )
    assert [m.sequence_number for m in parsed[1:]] == [1, 2, 3, 4, 5]  # type: ignore[union-attr]
    assert parsed[4] == twilio.Mark("MZ1", "m1", 4)
    assert parsed[5] == twilio.Stop("MZ1", "CA1", "AC1", 5)


def test_numbers_are_strings_on_the_wire_as_twilio_sends_them() -> None:
    side = twilio.CallSide("MZ1", "CA1", "AC1")
    media = side.media(b"", 40)
    assert media["sequenceNumber"] == "1" and media["media"]["chunk"] == "1"
    assert media["media"]["timestamp"] == "40"
    assert twilio.FRAME_BYTES == G711_ULAW.bytes_for_ms(FRAME_MS) == 160


def test_the_bridges_messages_parse_back() -> None:
    assert twilio.parse_bridge_message(twilio.dumps(twilio.bridge_media("MZ1", b"\x01\x02"))) == (
        twilio.Media("MZ1", b"\x01\x02")
    )
    assert twilio.parse_bridge_message(twilio.dumps(twilio.bridge_mark("MZ1", "x"))) == (
        twilio.Mark("MZ1", "x")
    )
    assert twilio.parse_bridge_message('{"event":"clear","streamSid":"MZ1"}') == twilio.Clear("MZ1")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"streamSid": "MZ1"}', "no string 'event'"),
        ('{"event": "start", "streamSid": "MZ1"}', "unknown event 'start' from the bridge"),
        ('{"event": "media", "streamSid": "MZ1", "media": {"payload": "%%"}}', "not base64"),
        ('{"event": "media", "streamSid": "MZ1"}', "'media' must be a dict"),
        ('{"event": "mark", "streamSid": "MZ1", "mark": {}}', "'name' must be a str"),
        ('{"event": "clear"}', "'streamSid' must be a str"),
    ],
)
def test_malformed_bridge_messages_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(twilio.TwilioMessageError, match=says):
        twilio.parse_bridge_message(text)


def test_malformed_call_messages_say_what_is_wrong() -> None:
    start = twilio.CallSide("MZ1", "CA1", "AC1").start()
    start["start"]["customParameters"] = {"n": 1}
    with pytest.raises(twilio.TwilioMessageError, match="customParameters"):
        twilio.parse_call_message(json.dumps(start))
    bad_chunk = twilio.CallSide("MZ1", "CA1", "AC1").media(b"", 0)
    bad_chunk["media"]["chunk"] = "one"
    with pytest.raises(twilio.TwilioMessageError, match="'chunk' must be a numeric string"):
        twilio.parse_call_message(json.dumps(bad_chunk))
    with pytest.raises(twilio.TwilioMessageError, match="binary frame"):
        twilio.parse_call_message(b"\x00")
    with pytest.raises(twilio.TwilioMessageError, match="unknown event 'clear' from the call"):
        twilio.parse_call_message('{"event": "clear", "streamSid": "MZ1"}')


def test_raw_pcm16_socket_framing() -> None:
    assert pcm16.FRAME_BYTES == PCM16.bytes_for_ms(FRAME_MS) == 960
    start = pcm16.parse_control(json.dumps(pcm16.start({"a": "b"})), pcm16.CALL_EVENTS)
    assert (start.event, start.custom_parameters) == ("start", {"a": "b"})
    assert pcm16.parse_control(json.dumps(pcm16.mark("m")), pcm16.BRIDGE_EVENTS).name == "m"
    for text, says in [("{}", "'event' one of"), ('{"event": "mark"}', "'name' must be"),
                       ('{"event": "start"}', "'event' one of"), ("x", "not JSON")]:  # fmt: skip
        with pytest.raises(pcm16.Pcm16MessageError, match=says):
            pcm16.parse_control(text, pcm16.BRIDGE_EVENTS)
    with pytest.raises(pcm16.Pcm16MessageError, match="whole PCM16 samples"):
        pcm16.check_audio(b"\x00\x00\x00")


def test_a_silent_line_in_each_format() -> None:
    assert silence(G711_ULAW, 3) == b"\xff\xff\xff"
    assert silence(PCM16, 4) == bytes(4)
