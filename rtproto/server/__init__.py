"""The server's side of every API, sans-I/O: what the mock server answers and when.

- `realtime/`: the simulated Realtime model (`RealtimeSession`, a `Behaviour`).
- `responses/`, `chat/`: the HTTP APIs' services (request validation, planned streams).
- `play/`: scripted scenarios played as a `Behaviour` (Realtime) or per HTTP request.
- `simulation`, `pacing`, `triggers`, `ratelimit`: what the simulated HTTP models share.

The drivers in mockserver pump these; nothing here touches a socket or a clock.
"""
