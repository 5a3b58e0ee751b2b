"""Report rendering time for a 200-case run (target: under 2 s). Not a test; run by hand:

    python bench/bench_reports.py [--cases 200] [--repeat 3] [--json]

The run is synthetic and heavier than the suite's own: half the case runs (--call-share) are
8 s phone calls (~930 recording lines each: caller audio and its appends, an answer played into
the call with marks, a barge-in with clear and truncate), the rest text turns, with every
verdict kind in turn. `cold` is the first render in this process (it also loads the AsyncAPI
catalogue and the check registry, as `realtime-conformance report` does); `warm` is the median
of the renders after; `held` renders with the recordings already in memory, as
`realtime-conformance run` does (it holds them).
Wall time and this process's CPU time are both given: on a shared machine the CPU time is the
steadier figure.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from figures import median, run_context

from realtime_conformance.conformance import results as results_io
from realtime_conformance.conformance.recording import CaseRecording
from realtime_conformance.conformance.reporting.render import write_reports
from realtime_conformance.conformance.verdicts import Verdict

TARGET_S = 2.0
VERDICTS = [v.value for v in Verdict]
PCM_20MS = base64.b64encode(bytes(960)).decode()  # 20 ms of PCM16 at 24 kHz
ULAW_20MS = base64.b64encode(bytes([0x40]) * 160).decode()  # 20 ms of loud mu-law
SESSION = {"type": "realtime", "audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000}},
           "output": {"format": {"type": "audio/pcm", "rate": 24000}}}}  # fmt: skip


def line(t: float, direction: str, event: dict[str, Any], wire: str = "openai") -> str:
    record: dict[str, Any] = {"t_ms": round(t, 1), "dir": direction, "event": event}
    if wire != "openai":
        record["wire"] = wire
    return json.dumps(record, separators=(",", ":"))


def call_lines() -> list[str]:
    """An 8 s call (see the module doc), in time order."""
    timed: list[tuple[float, str]] = []

    def add(t: float, direction: str, event: dict[str, Any], wire: str = "openai") -> None:
        timed.append((t, line(t, direction, event, wire)))

    add(1, "server", {"type": "session.created", "session": SESSION})
    add(2, "client", {"type": "session.update", "session": SESSION})
    add(3, "server", {"event": "start", "streamSid": "MZ1", "start": {}}, "call")
    for k in range(400):
        media = {"event": "media", "streamSid": "MZ1", "media": {"payload": ULAW_20MS}}
        add(10 + k * 20, "server", media, "call")
        add(11 + k * 20, "client", {"type": "input_audio_buffer.append", "audio": PCM_20MS})
    ids = {"response_id": "resp_1", "item_id": "item_a1", "output_index": 0, "content_index": 0}
    add(3000, "server", {"type": "response.created", "response": {"id": "resp_1"}})
    for k in range(25):  # 100 ms deltas
        add(3001 + k * 20, "server", {"type": "response.output_audio.delta", **ids,
                                      "delta": PCM_20MS * 5})  # fmt: skip
    for k in range(75):
        media = {"event": "media", "streamSid": "MZ1", "media": {"payload": ULAW_20MS}}
        add(3020 + k * 20, "client", media, "call")
        if k % 5 == 4:
            add(3021 + k * 20, "client", {"event": "mark", "streamSid": "MZ1",
                                          "mark": {"name": f"m{k}"}}, "call")  # fmt: skip
    add(4500, "server", {"type": "input_audio_buffer.speech_started", "item_id": "u2"})
    add(4530, "client", {"event": "clear", "streamSid": "MZ1"}, "call")
    add(4540, "client", {"type": "conversation.item.truncate", "item_id": "item_a1",
                         "content_index": 0, "audio_end_ms": 1500})  # fmt: skip
    add(4600, "server", {"type": "response.done", "response": {"id": "resp_1"}})
    handshake = {"t_ms": 0, "dir": "meta", "meta": {"kind": "handshake", "path": "/v1/realtime"}}
    return [json.dumps(handshake)] + [text for _, text in sorted(timed, key=lambda p: p[0])]


def text_lines() -> list[str]:
    events: list[tuple[str, dict[str, Any]]] = [
              ("server", {"type": "session.created", "session": SESSION}),
              ("client", {"type": "conversation.item.create", "item": {"type": "message"}}),
              ("client", {"type": "response.create"}),
              ("server", {"type": "response.created", "response": {"id": "resp_1"}}),
              ("server", {"type": "response.output_text.delta", "delta": "Hi"}),
              ("server", {"type": "response.done", "response": {"id": "resp_1"}})]  # fmt: skip
    return [line(10.0 * i, d, e) for i, (d, e) in enumerate(events)]


def case_record(index: int) -> dict[str, Any]:
    case_id = f"{index % 8 + 1}.{index // 16 + 1}.{index // 2 % 8 + 1}"
    dialect = ("ga", "beta")[index % 2]
    node_id = f"{case_id}[{dialect}]"
    failure = {"check": "media.truncate_at_heard_audio", "concern": "media", "level": "MUST",
               "requirement": "truncate at the audio heard", "expected": ["heard"],
               "actual": "audio_end_ms 1500", "at_ms": 4540.0, "measurements": {},
               "detail": "", "text": "five parts"}  # fmt: skip
    verdict = VERDICTS[index % len(VERDICTS)]
    return {
        "node_id": node_id, "id": case_id, "dialect": dialect, "title": f"case {case_id}",
        "requirement": "The client MUST.", "level": "MUST", "category": case_id.split(".", 1)[0],
        "timing": "realtime", "needs": [], "verdict": verdict, "reason": None,
        "failures": [failure] if verdict == "FAIL" else [], "unavailable_checks": [],
        "recording": results_io.recording_path(node_id), "duration_ms": 8000.0,
        "measurements": {"media.truncate_at_heard_audio.truncate_error_ms": 60.0},
    }  # fmt: skip


def build_run(directory: Path, count: int, call_share: float) -> int:
    """results.json and the recordings of `count` case runs; returns the recording lines."""
    records = [case_record(index) for index in range(count)]
    info = results_io.RunInfo("bench", "bench", [], ["ga", "beta"], False, [])
    results_io.write_results(directory, results_io.document(info, records))
    call, text, lines = call_lines(), text_lines(), 0
    calls = round(count * call_share)
    for index, case in enumerate(records):
        chosen = call if index * calls // count != (index + 1) * calls // count else text
        path = directory / case["recording"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(chosen) + "\n", encoding="utf-8")
        lines += len(chosen)
    return lines


def timed(render: Callable[[], object]) -> tuple[float, float]:
    """(wall s, this process's CPU s) of one render."""
    started, cpu_started = time.perf_counter(), time.process_time()
    render()
    return round(time.perf_counter() - started, 3), round(time.process_time() - cpu_started, 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Report rendering time of an N-case run.")
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="renders after the cold one")
    parser.add_argument(
        "--call-share", type=float, default=0.5,
        help="share of case runs that are 8 s calls (the suite's own run: about 0.3)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch) / "run"
        lines = build_run(directory, args.cases, args.call_share)
        renders = [timed(lambda: write_reports(directory)) for _ in range(1 + args.repeat)]
        held = {
            str(case["node_id"]): CaseRecording.load(directory / case["recording"])
            for case in json.loads((directory / "results.json").read_text())["cases"]
        }
        from_memory = [timed(lambda: write_reports(directory, held)) for _ in range(args.repeat)]
        size = sum(p.stat().st_size for p in directory.rglob("*.html"))
    figures = {
        "cases": args.cases, "call_share": args.call_share, "recording_lines": lines,
        "cold_s": renders[0][0], "cold_cpu_s": renders[0][1],
        "warm_s": median([wall for wall, _ in renders[1:]]),
        "warm_cpu_s": median([cpu for _, cpu in renders[1:]]),
        "held_s": median([wall for wall, _ in from_memory]),
        "held_cpu_s": median([cpu for _, cpu in from_memory]),
        "html_mb": round(size / 1e6, 2), "target_s": TARGET_S,
    }  # fmt: skip
    if args.json:
        print(json.dumps({**figures, "context": run_context()}, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:<16} {value}")
    return 0 if renders[0][0] < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
