"""Checks: pure functions of a transcript, one module per concern. None touches the network."""
