"""The timeline picture of a case page: inline SVG drawn in Python (no script, no assets).

Lanes top to bottom: caller speech, input appends, VAD events, response lifetimes, audio deltas
received, audio heard at the call (dropped frames grey), marks; clears and truncates are rules
across every lane; below, one row per measured note (timeline_notes) coloured by its judgement.
Every text in it is escaped: item ids and mark names come from the client and the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from realtime_conformance.conformance.checks.media_timeline import timeline_of
from realtime_conformance.conformance.recording import CaseRecording
from realtime_conformance.conformance.reporting.html import esc
from realtime_conformance.conformance.reporting.timeline_data import Lane, Rule, lanes_of
from realtime_conformance.conformance.reporting.timeline_notes import Note, notes_of

WIDTH, LABEL_W, RIGHT = 1100, 180, 20
PLOT_W = WIDTH - LABEL_W - RIGHT
AXIS_Y, LANE_TOP, LANE_H, NOTE_H = 22, 34, 24, 18
NOTE_CHAR_W = 6.0  # px per character of an 11 px note, a little over the average
LABEL_CHAR_W = 4.5  # and of a 9 px span label
STEPS_MS = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000, 60000)
FILL = {"main": "#4f8fd6", "alt": "#f08a6c", "dropped": "#d0d0d0"}
LANE_FILL = {
    "caller speech": "#6baed6", "input appends": "#9ecae1", "VAD (server)": "#fdbe6f",
    "responses": "#a39fd0", "heard at the call": "#41ab5d",
}  # fmt: skip
JUDGED = {True: "#1a7f37", False: "#cf222e", None: "#6e7781"}
RULE_STROKE = {"clear": "#cf222e", "truncate": "#8250df"}


class Scale:
    """Case time (ms) to x. The picture starts at the step before the recording's first line:
    cases running many at once may start their first exchange a second or more in."""

    def __init__(self, first_ms: float, end_ms: float) -> None:
        self.end_ms = max(end_ms, first_ms + 1.0)
        self.step = next((s for s in STEPS_MS if (self.end_ms - first_ms) / s <= 12), STEPS_MS[-1])
        self.start_ms = max(0.0, first_ms // self.step * self.step)

    def x(self, t_ms: float) -> float:
        inside = max(self.start_ms, min(t_ms, self.end_ms)) - self.start_ms
        return round(LABEL_W + inside / (self.end_ms - self.start_ms) * PLOT_W, 1)


def _axis(scale: Scale, bottom: float) -> list[str]:
    parts, t = [], int(scale.start_ms)
    while t <= scale.end_ms:
        x = scale.x(t)
        parts.append(
            f'<line x1="{x}" y1="{AXIS_Y}" x2="{x}" y2="{bottom}" stroke="#eaeef2"/>'
            f'<text x="{x}" y="{AXIS_Y - 6}" font-size="10" text-anchor="middle">{t} ms</text>'
        )
        t += scale.step
    return parts


def _lane(lane: Lane, y: float, scale: Scale) -> list[str]:
    parts = [
        f'<text x="6" y="{y + 16}" font-size="12">{esc(lane.name)}</text>',
        f'<line x1="{LABEL_W}" y1="{y + LANE_H}" x2="{WIDTH - RIGHT}" y2="{y + LANE_H}" '
        'stroke="#eaeef2"/>',
    ]
    for span in lane.spans:
        x0, x1 = scale.x(span.start), scale.x(span.end)
        fill = LANE_FILL.get(lane.name, FILL["main"]) if span.tone == "main" else FILL[span.tone]
        title = f"{span.label} " if span.label else ""
        parts.append(
            f'<rect x="{x0}" y="{y + 4}" width="{max(x1 - x0, 1.5)}" height="{LANE_H - 8}" '
            f'fill="{fill}"><title>{esc(title)}{span.start:.0f}–{span.end:.0f} ms</title></rect>'
        )
        if span.label and (x1 - x0) >= len(span.label) * LABEL_CHAR_W:  # else: in its title
            parts.append(f'<text x="{x0 + 2}" y="{y + 15}" font-size="9">{esc(span.label)}</text>')
    for tick in lane.ticks:
        parts.append(_tick(tick.t, tick.label, tick.tone, y, scale))
    return parts


def _tick(t: float, label: str, tone: str, y: float, scale: Scale) -> str:
    x = scale.x(t)
    if tone == "up":
        shape = f'<path d="M{x - 4},{y + 20} L{x + 4},{y + 20} L{x},{y + 12} Z" fill="#444"/>'
    elif tone == "down":
        shape = f'<path d="M{x - 4},{y + 4} L{x + 4},{y + 4} L{x},{y + 12} Z" fill="#999"/>'
    else:
        shape = f'<line x1="{x}" y1="{y + 4}" x2="{x}" y2="{y + 20}" stroke="#2b6cb0"/>'
    text = f'<text x="{x + 5}" y="{y + 11}" font-size="9">{esc(label)}</text>' if label else ""
    return f"<g><title>{esc(label)} {t:.0f} ms</title>{shape}{text}</g>"


def _rule(rule: Rule, top: float, bottom: float, scale: Scale) -> str:
    x, stroke = scale.x(rule.t), RULE_STROKE[rule.kind]
    dash = ' stroke-dasharray="4 3"' if rule.kind == "clear" else ""
    label_y = bottom - 3 if rule.kind == "clear" else top + 10  # a clear and a truncate at
    # nearly the same time keep their labels apart
    return (
        f'<g class="rule-{rule.kind}"><title>{esc(rule.label)} at {rule.t:.0f} ms</title>'
        f'<line x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" stroke="{stroke}" '
        f'stroke-width="1.5"{dash}/>'
        f'<text x="{x + 3}" y="{label_y}" font-size="10" fill="{stroke}">{esc(rule.label)}'
        "</text></g>"
    )


def _note_anchor(x0: float, x1: float, chars: int) -> tuple[str, float]:
    """Where a note's text goes: right of its bar if it fits, else left of it, else from the
    plot's left edge (the text's width is estimated: no script measures it)."""
    width = chars * NOTE_CHAR_W
    if x1 + 4 + width <= WIDTH:
        return "start", x1 + 4
    if x0 - 4 - width >= 0:
        return "end", x0 - 4
    return "start", 4.0


def _note(note: Note, y: float, scale: Scale) -> str:
    x0, x1, colour = scale.x(note.start), scale.x(note.end), JUDGED[note.judged]
    verdict = {True: " (held)", False: " (FAILED)", None: ""}[note.judged]
    by = f" [{note.check}]" if note.check else ""
    text = f"{note.text}{verdict}"
    anchor, tx = _note_anchor(x0, x1, len(text))
    return (
        f'<g class="note"><title>{esc(text + by)}</title>'
        f'<line x1="{x0}" y1="{y + 9}" x2="{x1}" y2="{y + 9}" stroke="{colour}" stroke-width="3"/>'
        f'<circle cx="{x0}" cy="{y + 9}" r="3" fill="{colour}"/>'
        f'<text x="{tx}" y="{y + 13}" font-size="11" fill="{colour}" text-anchor="{anchor}">'
        f"{esc(text)}</text></g>"
    )


def timeline_svg(
    recording: CaseRecording,
    failures: list[Mapping[str, Any]],
    measurements: Mapping[str, float],
) -> str:
    line = timeline_of(recording)
    lanes, rules = lanes_of(recording, line)
    lanes = [lane for lane in lanes if lane.spans or lane.ticks] or lanes[:1]  # a text case
    # has no call: its audio lanes would be empty rows
    notes = notes_of(recording, line, failures, measurements)
    rules += [Rule(n.start, n.text.split(":")[0], "truncate") for n in notes if n.is_truncate]
    first = next((e.t_ms for e in recording if e.t_ms is not None), 0.0)  # lines are in time order
    scale = Scale(first, line.end_ms)
    lanes_bottom = LANE_TOP + LANE_H * len(lanes)
    height = lanes_bottom + 10 + NOTE_H * len(notes) + 8
    parts = _axis(scale, lanes_bottom)
    for index, lane in enumerate(lanes):
        parts += _lane(lane, LANE_TOP + index * LANE_H, scale)
    parts += [_rule(rule, LANE_TOP, lanes_bottom, scale) for rule in rules]
    parts += [_note(n, lanes_bottom + 10 + i * NOTE_H, scale) for i, n in enumerate(notes)]
    return (
        f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'font-family="system-ui,sans-serif"><title>timeline of the case</title>'
        + "".join(parts)
        + "</svg>"
    )
