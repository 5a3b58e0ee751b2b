"""The conformance suite: checks of recorded transcripts, client-under-test adapters, reports."""
