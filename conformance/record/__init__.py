"""Record mode: `realtime-conformance record`.

- `proxy`: a recording proxy between a client and a real (or mock) Realtime, Responses or Chat
  server, WebSocket and HTTP/SSE, writing one transcript per connection or HTTP exchange in the
  format of rtproto.transcript, headers and query redacted by rtproto.handshake's allow-lists.
- `to_scenario`: a recorded transcript turned into a replay scenario (schemas/scenario.schema.json):
  each client event answered with the server events that followed it, as recorded.
"""
