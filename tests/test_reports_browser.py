"""The reports as a browser shows them: index.html and a case page of a synthetic run with every
verdict kind, opened from the file system in headless Chromium (Debian's `chromium`; .ci/run
installs it), with the network features that could fetch anything turned off."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from realtime_conformance.conformance.reporting.model import page_name
from realtime_conformance.conformance.reporting.render import write_reports
from realtime_conformance.conformance.verdicts import Verdict
from tests.support.report_runs import every_verdict_records, write_run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (.ci/run installs it)")
TIMEOUT_S = 120
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WINDOW = (1200, 1600)


def chromium(page: Path, profile: Path, *mode: str) -> subprocess.CompletedProcess[str]:
    command = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", f"--window-size={WINDOW[0]},{WINDOW[1]}", *mode,
        page.as_uri(),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = write_run(tmp_path_factory.mktemp("browser") / "run", every_verdict_records())
    write_reports(directory)
    return directory


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, "not a PNG"
    width, height = struct.unpack(">II", data[16:24])  # IHDR comes first
    return width, height


def test_the_index_in_chromium_shows_every_verdict(run_dir: Path, tmp_path: Path) -> None:
    dom = chromium(run_dir / "index.html", tmp_path / "profile", "--dump-dom").stdout
    assert "<table" in dom
    for verdict in Verdict:
        assert f">{verdict.value}</a></td>" in dom, verdict  # a matrix cell linking its case
    shot = tmp_path / "index.png"
    chromium(run_dir / "index.html", tmp_path / "profile", f"--screenshot={shot}")
    assert png_size(shot) == WINDOW


def test_a_case_page_in_chromium_has_the_timeline_naming_its_truncate(
    run_dir: Path, tmp_path: Path
) -> None:
    page = run_dir / page_name("5.4.2[ga]")
    dom = chromium(page, tmp_path / "profile", "--dump-dom").stdout
    assert "<svg" in dom and "FAIL" in dom
    assert "truncate item_a1: audio_end_ms 2000 vs heard 800 ms" in dom
    assert 'class="rule-truncate"' in dom and 'class="rule-clear"' in dom
    assert "<script>" not in dom  # the client's markup stayed text
    shot = tmp_path / "case.png"
    chromium(page, tmp_path / "profile", f"--screenshot={shot}")
    assert png_size(shot) == WINDOW
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank one
