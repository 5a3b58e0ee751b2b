"""Scripted scenarios: the YAML format, its loader and its lint (players: rtproto.server.play).

A scenario (one YAML file, described by schemas/scenario.schema.json) says what the server
expects from the client and what it sends back::

    id: 3.2.1                          # dotted id by category
    title: Text turn
    requirement: The client MUST send response.create after creating a user item.
    dialects: [ga, beta]               # written GA-shaped; the driver translates for beta
    ordered: true                      # finite-`times` rules must match in this order
    delay_ms: 250                      # from a client event to its reply (default 0)
    pace_ms: 5                         # between the events of one reply (default 0)
    on_start: [session.created]        # sent when the connection opens
    expect:
      - when: {type: session.update}   # dotted path -> matcher (scalar = eq; {eq}, {regex},
        reply: [session.updated]       #   {present: true}, {absent: true}, {any_of: [...]})
      - when: {type: conversation.item.create, item.role: user}
        reply: [item_added_done]
        times: once                    # always (default) | once | N
      - when: {type: response.create}
        reply:
          - text_response: {text: "Hi there, friend!"}
    faults:
      - after: response.output_text.delta   # or at_ms: 1500; `nth: 2` for the 2nd such event
        drop: {code: 1011, reason: boom}    # | abort | duplicate | malform | reorder | delay_ms
                                            # | error: server_error|rate_limit | expire_session

Reply steps: a template name (`text_response`), a template with parameters
(`{audio_response: {duration_ms: 1200, transcript: "..."}}`), a literal event
(`{event: {type: response.done, ...}}`), a raw text frame (`{raw: "..."}`), an extra gap
(`{wait_ms: 200}`), or a recorded transcript (`{replay: {file: trace.jsonl, timing: recorded}}`,
its server events as recorded; rtproto.scenario.recording). Strings may hold `${event.PATH}`,
`${last.PATH}` and `${id:PREFIX}` (rtproto.scenario.expressions). `strict: true` marks a
SHOULD-level case; `ignore` lists client event types accepted silently (e.g.
`input_audio_buffer.append`).

A Realtime scenario can speak as the caller and listen like the real server::

    vad: true                          # server VAD on the client's appends (or {threshold,
                                       #   prefix_padding_ms, silence_duration_ms})
    caller:                            # what the caller says, from the client's first append
      format: g711_ulaw                # pcm16 (default) | g711_ulaw | g711_alaw | audio/pcmu ...
      lead_in_ms: 500                  # or `wav: call.wav` (mono PCM16, any rate, resampled)
      script: [{speech_ms: 800}, {silence_ms: 1200}, {speech_ms: 600}, {silence_ms: 400}]
    expect_vad: auto                   # or [{audio_start_ms, audio_end_ms}, ...]; or
                                       #   {turns: auto|[...], tolerance_ms: 10}
    expect:
      - when: {type: vad.turn, turn: 1}   # a committed VAD turn: {turn, item_id,
        reply: [audio_response]            #   audio_start_ms, audio_end_ms}

With `vad:` the player decodes each append in the session's input format, sends speech_started,
speech_stopped, committed and the user item (rtproto.server.play.listener), and hands each turn to
the rules as a `vad.turn` pseudo event; appends are not matched by the rules then.
`caller_audio(scenario)` (rtproto.scenario.caller) is the caller's audio in append-sized chunks
and the turns it should produce. The player notes each turn it detected in the transcript
(rtproto.scenario.notes) and conformance.checks.scenario_rules judges them against `expect_vad`.

`api: responses` or `api: chat` makes a scenario for the HTTP streaming APIs: each request body
is one pseudo client event (`response.create`, `chat.completions.create`) matched by the rules,
answered by literal events of that API (Chat chunks named by `object`), raw data frames and
replays; no dialects, on_start, ignore or Realtime templates. Faults act on the stream the same
way (`drop`: the stream ends there; `error: server_error`: the API's own mid-stream failure)::

    id: 9.1.1
    title: Replayed text answer, cut after three deltas
    requirement: The client MUST report a Responses stream that ends without a terminal event.
    api: responses
    pace_ms: 10
    expect:
      - when: {type: response.create, model: {regex: "^gpt-5"}}
        reply: [{replay: {file: traces/text.jsonl, timing: paced}}]
    faults:
      - {after: response.output_text.delta, nth: 3, drop: {}}

    scenario = load_scenario("fixtures/scenarios/5-response/5.1.1-text-turn.yaml")
    player = ScenarioPlayer(scenario, seed=1)      # a Behaviour for the driver
    ...                                            # the driver records it all, Notes included
    judgement = judge_scenario(scenario, transcript_lines)   # conformance.checks.scenario_rules
    judgement.unexpected  # client events no rule took, each with every rule's expectation
    judgement.unmet       # rules with a finite `times` that did not see enough events, and
                          # expect_vad turns not met
    judgement.vad         # each expected VAD turn: met, shifted, unfinished, missing; extras

    http = HttpScenario(load_scenario(path), seed=1)   # one per selected HTTP scenario
    stream = http.open(body, now)                       # one per request (rtproto.server.play.http)
"""

from realtime_conformance.rtproto.scenario.caller import CallerAudio, CallerChunk, caller_audio
from realtime_conformance.rtproto.scenario.diagnostics import LoadProblem, ScenarioError
from realtime_conformance.rtproto.scenario.loader import (
    load_scenario,
    load_scenarios,
    parse_scenario,
)
from realtime_conformance.rtproto.scenario.notes import DetectedTurn
from realtime_conformance.rtproto.scenario.recording import (
    Recording,
    read_recording,
    recording_of,
    replay_events,
)
from realtime_conformance.rtproto.scenario.spec import ExpectedTurn, Rule, Scenario

__all__ = [
    "CallerAudio",
    "CallerChunk",
    "DetectedTurn",
    "ExpectedTurn",
    "LoadProblem",
    "Recording",
    "Rule",
    "Scenario",
    "ScenarioError",
    "caller_audio",
    "load_scenario",
    "load_scenarios",
    "parse_scenario",
    "read_recording",
    "recording_of",
    "replay_events",
]
