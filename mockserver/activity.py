"""`serve`'s log on stderr: one line per connection as it ends, and a summary at shutdown.

A line says what the connection was and how it ended; under a scenario, the client's verdict
(mockserver.control.verdict, from conformance.checks.scenario_rules), so a user watching `serve`
sees a failing client without asking the control API.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import TextIO

from realtime_conformance.mockserver.control import connection_summary
from realtime_conformance.mockserver.state import ConnectionRecord, MockState, Refusal


class ActivityLog:
    """A MockState watcher writing to `err` (each line flushed: a harness may be reading)."""

    def __init__(self, state: MockState, err: TextIO) -> None:
        self.state = state
        self.err = err
        self.counts: Counter[str] = Counter()

    def closed(self, record: ConnectionRecord) -> None:
        try:
            line = self.line(record)
        except Exception as error:  # a log line must never break the connection's end
            line = f"{record.connection_id}: not judged ({type(error).__name__}: {error})"
        print(line, file=self.err, flush=True)

    def refused(self, refusal: Refusal) -> None:
        self.counts["refused before the upgrade"] += 1
        line = f"refused {refusal.path}: HTTP {refusal.status}: {refusal.reason}"
        print(line, file=self.err, flush=True)

    def line(self, record: ConnectionRecord) -> str:
        info = record.info
        seconds = time.monotonic() - record.recording.started_at
        head = f"{info.connection_id} {info.path} {info.dialect} ({seconds:.1f} s)"
        if record.rejected is not None:
            self.counts["refused handshake"] += 1
            message = f": {record.rejection_message}" if record.rejection_message else ""
            return f"{head}: refused ({record.rejected}){message}"
        summary = connection_summary(self.state, record)
        verdict = summary["verdict"]
        if verdict is None:
            self.counts["served"] += 1
            return f"{head}: served"
        self.counts[f"scenario {verdict}"] += 1
        unmatched = len(summary["unmatched"]) + len(summary["unmet"])
        detail = f", {unmatched} unmatched or unmet (GET /_mock/connections)" if unmatched else ""
        return f"{head}: scenario {summary['scenario']} {verdict}{detail}"

    def summary(self) -> str:
        total = sum(self.counts.values())
        parts = ", ".join(f"{count} {what}" for what, count in sorted(self.counts.items()))
        return f"mock server stopped: {total} connection(s) and request(s)" + (
            f" ({parts})" if parts else ""
        )
