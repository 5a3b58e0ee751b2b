"""Sans-I/O core of the Realtime conformance harness: events, schemas, dialects, rules.

Nothing here opens a socket or starts an event loop; the mock server, the reference client and
the checkers all drive these pieces with data in and data out.
"""
