"""Command clients that get the protocol wrong, one way each (`python THIS_FILE MODE`), for
tests/test_command_driver_failures.py. Standard library only: what the suite sees is all
there is to them.

Modes: crash_at_start (stderr lines, then exit 3 before the hello), silent_at_start (never says
hello), hang (hello, then never replies), garbage (hello, then a line that is not JSON),
wrong_id (replies with another id), dies_mid_case (replies to start, configure and send_text,
then dies while the suite waits), refuses (every step but start answered ok: false),
grandchild (hello, starts a `sleep` of its own that writes its pid, then hangs), pidfile
(appends its pid to the file $BAD_CLIENT_PIDFILE, says hello, then hangs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HELLO = {"driver": "bad", "capabilities": ["text", "tools"]}


def say(value: object) -> None:
    sys.stdout.write((value if isinstance(value, str) else json.dumps(value)) + "\n")
    sys.stdout.flush()


def next_command() -> dict[str, Any] | None:
    line = sys.stdin.readline()
    return json.loads(line) if line else None


def hang() -> None:
    while True:
        time.sleep(60)


def main(mode: str) -> int:
    if mode == "crash_at_start":
        for number in range(30):
            print(f"starting, step {number}", file=sys.stderr)
        print("RuntimeError: no configuration found", file=sys.stderr)
        return 3
    if mode == "silent_at_start":
        hang()
    if mode == "pidfile":
        with Path(os.environ["BAD_CLIENT_PIDFILE"]).open("a") as pids:
            pids.write(f"{os.getpid()}\n")
        say(HELLO)
        hang()
    say(HELLO)
    if mode == "grandchild":
        sleeper = subprocess.Popen(["sleep", "300"])
        print(f"grandchild {sleeper.pid}", file=sys.stderr, flush=True)
        hang()
    while (command := next_command()) is not None:
        number, method = command["id"], command["method"]
        if mode == "hang" and method != "start":
            hang()
        if mode == "garbage" and method != "start":
            say("Connecting to the Realtime API... done")
            continue
        if mode == "wrong_id":
            say({"id": int(number) + 100, "ok": True})
            continue
        if mode == "refuses" and method not in ("start", "close"):
            say({"id": number, "ok": False, "error": f"{method} is not supported"})
            continue
        say({"id": number, "ok": True})
        if mode == "dies_mid_case" and method == "send_text":
            print("Segmentation fault (pretend)", file=sys.stderr, flush=True)
            return 139
        if method == "close":
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
