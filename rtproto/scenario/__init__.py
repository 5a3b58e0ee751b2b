"""Scripted scenarios for the Realtime mock: the YAML format, its loader, and a player.

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
(`{event: {type: response.done, ...}}`), a raw text frame (`{raw: "..."}`), or an extra gap
(`{wait_ms: 200}`). Strings may hold `${event.PATH}`, `${last.PATH}` and `${id:PREFIX}`
(rtproto.scenario.expressions). `strict: true` marks a SHOULD-level case; `ignore` lists client
event types accepted silently (e.g. `input_audio_buffer.append`).

    scenario = load_scenario("fixtures/scenarios/examples/text-turn.yaml")
    player = ScenarioPlayer(scenario, seed=1)      # a Behaviour for the driver
    ...
    player.unmatched   # client events no rule took, each with every rule's expectation
    player.unmet()     # rules with a finite `times` that did not see enough events
"""

from rtproto.scenario.diagnostics import LoadProblem, ScenarioError
from rtproto.scenario.loader import load_scenario, load_scenarios, parse_scenario
from rtproto.scenario.model import Rule, Scenario
from rtproto.scenario.player import ScenarioPlayer, Unmatched

__all__ = [
    "LoadProblem",
    "Rule",
    "Scenario",
    "ScenarioError",
    "ScenarioPlayer",
    "Unmatched",
    "load_scenario",
    "load_scenarios",
    "parse_scenario",
]
