"""The HTML skeleton every report page shares: one inline stylesheet, no script, no external
asset (a report opens from the file system, offline), and escaping in one place.

Everything a client or a recording can put on a page (titles, event fields, failure text) goes
through `esc`; markup is only ever built from our own literals.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from realtime_conformance.conformance.verdicts import Verdict

VERDICT_COLOURS: dict[str, tuple[str, str]] = {  # verdict: (background, text)
    Verdict.PASS.value: ("#c7ecc9", "#1b5e20"),
    Verdict.NON_STRICT.value: ("#ffe9a8", "#6d4c00"),
    Verdict.INFORMATIONAL.value: ("#cfe3f7", "#0d3c61"),
    Verdict.UNIMPLEMENTED.value: ("#e2e2e2", "#424242"),
    Verdict.FAIL.value: ("#f7c1c1", "#8e0000"),
    Verdict.KNOWN_DEVIATION.value: ("#e4d4f4", "#4a148c"),
}


def css_name(verdict: str) -> str:
    return verdict.replace("-", "_")


def _verdict_css() -> str:
    rules = []
    for verdict, (background, text) in VERDICT_COLOURS.items():
        rules.append(f".v-{css_name(verdict)}{{background:{background};color:{text}}}")
    return "\n".join(rules)


CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1f2328}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 8px}
table{border-collapse:collapse;margin:4px 0 12px}
th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}
td.cell{text-align:center;font-weight:600;white-space:nowrap}
td.cell a{color:inherit;text-decoration:none;display:block}
tr.group th{background:#eaeef2;font-size:13px}
.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600}
.failure{border-left:4px solid #cf222e;background:#fff8f8;padding:6px 12px;margin:8px 0}
.failure.level-SHOULD{border-color:#bf8700;background:#fffbea}
.failure.level-INFO{border-color:#0969da;background:#f3f8ff}
.failure dt{font-weight:600;float:left;width:110px;clear:left}
.failure dd{margin:0 0 2px 115px}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
pre{white-space:pre-wrap;margin:0}
table.wire td{padding:1px 6px;font-size:12px}
table.wire td.ev{font-weight:600;white-space:nowrap}
table.wire td.body{word-break:break-all;font-family:ui-monospace,Menlo,Consolas,monospace}
tr.w-openai.d-client{background:#f0f6ff}tr.w-openai.d-server{background:#fff}
tr.w-call.d-client{background:#f2fbf2}tr.w-call.d-server{background:#fbfbf2}
tr.w-driver,tr.d-meta{background:#f6f6f6;color:#57606a}
.muted{color:#57606a}
svg.timeline{border:1px solid #d0d7de;background:#fff;max-width:100%;height:auto}
""" + _verdict_css()


def esc(value: object) -> str:
    """Text for an HTML text node or a quoted attribute value."""
    return escape(str(value), quote=True)


def verdict_badge(verdict: str) -> str:
    return f'<span class="badge v-{css_name(verdict)}">{esc(verdict)}</span>'


def page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head>\n"
        f"<body>\n{body}\n</body></html>\n"
    )


def table(header: Sequence[str], rows: Iterable[Iterable[str]], css_class: str = "") -> str:
    """A table of cells that are already HTML (escape the text you put in them); no header
    row when every header cell is empty."""
    cells = "".join(f"<th>{cell}</th>" for cell in header)
    head = f"<thead><tr>{cells}</tr></thead>" if any(header) else ""
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    attr = f' class="{css_class}"' if css_class else ""
    return f"<table{attr}>{head}<tbody>{body}</tbody></table>"
