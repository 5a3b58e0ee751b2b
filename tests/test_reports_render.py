"""The reports of a synthetic run with every verdict kind: the files exist, validate against
their published schemas, escape client-controlled text, and say what the checks judged."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import xmlschema

from realtime_conformance.conformance.reporting.model import page_name
from realtime_conformance.conformance.reporting.render import write_reports
from realtime_conformance.conformance.reporting.wirelog import elide
from realtime_conformance.conformance.verdicts import Verdict
from realtime_conformance.schemas import SCHEMA_ROOT
from tests.support.report_runs import EVIL, every_verdict_records, recordings_for, write_run

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = write_run(tmp_path_factory.mktemp("reports") / "run-1", every_verdict_records())
    write_reports(directory)
    return directory


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_results_json_with_coverage_is_valid_against_its_schema(run_dir: Path) -> None:
    schema = read_json(SCHEMA_ROOT / "results.schema.json")
    results = read_json(run_dir / "results.json")
    checker = jsonschema.FormatChecker()
    jsonschema.Draft202012Validator(schema, format_checker=checker).validate(results)
    rows = {
        (r["dialect"], r["direction"], r["type"]): r["cases"]
        for r in results["coverage"]["channels"]
    }
    assert rows[("ga", "client", "conversation.item.truncate")] == 1  # the FAIL case (GA)
    assert rows[("ga", "client", "session.update")] == 4  # every GA case with a recording
    assert rows[("beta", "server", "session.created")] == 2
    assert rows[("ga", "client", "response.cancel")] == 0  # catalogued, not exercised


def test_junit_xml_is_valid_against_the_jenkins_junit_xsd(run_dir: Path) -> None:
    schema = xmlschema.XMLSchema(str(DATA / "junit-10.xsd"))
    schema.validate(str(run_dir / "junit.xml"))
    text = (run_dir / "junit.xml").read_text(encoding="utf-8")
    assert text.count("<failure ") == 1  # only the FAIL; the known deviation is skipped


def test_ctrf_json_is_valid_against_the_ctrf_schema(run_dir: Path) -> None:
    schema = read_json(DATA / "ctrf-schema-0.0.json")
    ctrf = read_json(run_dir / "ctrf.json")
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(ctrf)
    summary = ctrf["results"]["summary"]
    assert (summary["tests"], summary["passed"], summary["failed"]) == (7, 2, 1)
    assert (summary["skipped"], summary["other"]) == (3, 1)
    raw = {t["rawStatus"] for t in ctrf["results"]["tests"]}
    assert raw == {v.value for v in Verdict}


def test_the_index_shows_every_verdict_links_each_case_and_needs_no_network(run_dir: Path) -> None:
    html = (run_dir / "index.html").read_text(encoding="utf-8")
    for verdict in Verdict:
        assert f'class="cell v-{verdict.value.replace("-", "_")}"' in html, verdict
    for link in re.findall(r'href="([^"]+)"', html):
        assert (run_dir / link).is_file(), link
    assert "<script" not in html and "<link" not in html and " src=" not in html
    assert "5. response" in html and "1. connection" in html  # categories by catalogue folder


def test_a_case_page_has_the_five_parts_the_timeline_and_the_wire_log(run_dir: Path) -> None:
    html = (run_dir / page_name("5.4.2[ga]")).read_text(encoding="utf-8")
    for part in ("case", "requirement", "expected", "actual", "reproduce"):
        assert f"<dt>{part}</dt>" in html
    assert "pytest conformance --case 5.4.2 --dialect ga -n0 -vv" in html
    links = re.findall(r'href="([^"]+)"', html)
    assert links == ["../index.html", "../recordings/5.4.2-ga.jsonl"]
    assert all((run_dir / "cases" / link).is_file() for link in links)
    svg = re.search(r"<svg .*?</svg>", html, re.S)
    assert svg is not None
    assert (
        "truncate item_a1: audio_end_ms 2000 vs heard 800 ms (2000 ms received) (FAILED)" in svg[0]
    )
    assert "speech_started → silence at the call: 0 ms (item_a1) (held)" in svg[0]
    # runs of audio frames, one row each, elided to their size: 20 deltas of 100 ms PCM16,
    # 40 frames of 20 ms mu-law into the call
    assert "response.output_audio.delta ×20" in html
    assert "&lt;96000 bytes audio in 20 frames&gt;" in html
    assert "media ×40" in html and "&lt;6400 bytes audio in 40 frames&gt;" in html


def test_audio_payloads_are_elided_to_their_size_and_long_text_cut() -> None:
    append = {"type": "input_audio_buffer.append", "audio": "AAAAAAAA"}
    assert elide(append) == {"type": "input_audio_buffer.append", "audio": "<6 bytes audio>"}
    delta = {"type": "response.output_audio.delta", "delta": "AAAA"}
    assert elide(delta)["delta"] == "<3 bytes audio>"
    text = {"type": "response.output_text.delta", "delta": "AAAA"}
    assert elide(text)["delta"] == "AAAA"  # text deltas are text
    media = {"event": "media", "media": {"payload": "AAAA"}}
    assert elide(media) == {"event": "media", "media": {"payload": "<3 bytes audio>"}}
    long = elide({"instructions": "x" * 1000})["instructions"]
    assert long.endswith("… <1000 chars>") and len(long) < 300


def test_client_controlled_text_is_escaped_everywhere(run_dir: Path) -> None:
    for path in [run_dir / "index.html", *sorted((run_dir / "cases").glob("*.html"))]:
        html = path.read_text(encoding="utf-8")
        assert EVIL not in html, path
        assert "<script" not in html, path
    page = (run_dir / page_name("5.4.2[ga]")).read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&lt;b&gt;" in page


def test_rendering_again_gives_the_same_pages(run_dir: Path) -> None:
    before = {p.name: p.read_bytes() for p in (run_dir / "cases").glob("*.html")}
    index = (run_dir / "index.html").read_bytes()
    write_reports(run_dir)
    assert {p.name: p.read_bytes() for p in (run_dir / "cases").glob("*.html")} == before
    assert (run_dir / "index.html").read_bytes() == index


def test_recordings_the_caller_still_holds_are_not_read_back(tmp_path: Path) -> None:
    """`run` passes the recordings it holds; the pages are the same as from the files."""
    records = every_verdict_records()
    directory = write_run(tmp_path / "run", records)
    held = recordings_for(records)
    write_reports(directory)
    from_files = (directory / page_name("5.4.2[ga]")).read_bytes()
    (directory / "recordings" / "5.4.2-ga.jsonl").unlink()
    write_reports(directory, held)
    assert (directory / page_name("5.4.2[ga]")).read_bytes() == from_files
