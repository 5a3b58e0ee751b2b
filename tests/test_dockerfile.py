"""The Dockerfile and its .dockerignore, read as Docker reads them (no Docker daemon where these
tests run, so the image itself is not built here): the runtime image is
python:3.11-slim with the wheel installed, its entry point the CLI with `run` by default, not
root; and the build context the .dockerignore leaves is enough to build that wheel."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

REPO = Path(__file__).resolve().parent.parent
BUILD_TIMEOUT_S = 300


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str  # continuation lines joined


def instructions() -> list[Instruction]:
    """The Dockerfile's instructions, comments left out, as dockerfile-parse reads them."""
    parsed = DockerfileParser(path=str(REPO / "Dockerfile"))
    return [
        Instruction(item["instruction"], " ".join(item["value"].split()))
        for item in parsed.structure
        if item["instruction"] != "COMMENT"
    ]


def stages(parsed: list[Instruction]) -> list[list[Instruction]]:
    found: list[list[Instruction]] = []
    for instruction in parsed:
        if instruction.keyword == "FROM":
            found.append([])
        found[-1].append(instruction)
    return found


def exec_form(instruction: Instruction) -> list[str]:
    """ENTRYPOINT/CMD in exec form (a JSON array): the form that passes signals to the CLI."""
    value = json.loads(instruction.arguments)
    assert isinstance(value, list), instruction
    return [str(item) for item in value]


def last(stage: list[Instruction], keyword: str) -> Instruction:
    return [i for i in stage if i.keyword == keyword][-1]


def test_the_runtime_image_installs_the_wheel_and_runs_the_cli() -> None:
    built = stages(instructions())
    build, runtime = built[0], built[-1]
    assert build[0].arguments == "python:3.11-slim AS build"
    assert any("pip wheel" in i.arguments and "--no-deps" in i.arguments for i in build)
    assert runtime[0].arguments == "python:3.11-slim"
    copied = last(runtime, "COPY").arguments
    assert copied.startswith("--from=build /dist/")
    install = next(i.arguments for i in runtime if "pip install" in i.arguments)
    assert "/tmp/dist/*.whl" in install and "--no-cache-dir" in install
    assert exec_form(last(runtime, "ENTRYPOINT")) == ["realtime-conformance"]
    assert exec_form(last(runtime, "CMD")) == ["run"]
    assert last(runtime, "USER").arguments not in ("root", "0")


def test_the_dockerfile_documents_serve_as_it_must_run_in_a_container() -> None:
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert "serve --host 0.0.0.0 --port 8080" in text  # 127.0.0.1 is unreachable from outside
    exposed = [i.arguments for i in instructions() if i.keyword == "EXPOSE"]
    assert exposed == ["8080"]


# --- .dockerignore -----------------------------------------------------------------------------


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """Docker's matching (Go filepath.Match, plus `**`): `*` stays within a path segment; a
    pattern is anchored at the context's root, and it also excludes what lies below a match."""
    body = ""
    for part in re.split(r"(\*\*/|\*\*|\*|\?|\[[^\]]*\])", pattern.strip("/")):
        if part == "**/":
            body += "(?:.*/)?"
        elif part == "**":
            body += ".*"
        elif part == "*":
            body += "[^/]*"
        elif part == "?":
            body += "[^/]"
        elif part.startswith("["):
            body += part
        else:
            body += re.escape(part)
    return re.compile(f"{body}(?:/.*)?")


def ignored(relative: str, patterns: list[str]) -> bool:
    """Whether Docker leaves `relative` out of the context (a later `!pattern` takes it back)."""
    excluded = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if _pattern_regex(pattern.removeprefix("!")).fullmatch(relative):
            excluded = not negated
    return excluded


def dockerignore() -> list[str]:
    lines = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_the_matcher_reads_patterns_as_docker_does() -> None:
    patterns = ["**/__pycache__", "*.egg-info", "tests", "docs/*.md", "!docs/keep.md"]
    assert ignored("rtproto/audio/__pycache__/x.pyc", patterns)
    assert ignored("realtime_conformance.egg-info/PKG-INFO", patterns)
    assert ignored("tests/test_x.py", patterns)
    assert not ignored("rtproto/tests/x.py", patterns)  # anchored at the root, unlike .gitignore
    assert ignored("docs/a.md", patterns) and not ignored("docs/keep.md", patterns)


def wheel_inputs() -> list[str]:
    """What building the wheel reads: pyproject, the readme, every package folder (the
    namespace's folder and the folders its symlinks point to)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    includes = project["tool"]["setuptools"]["packages"]["find"]["include"]
    folders = [pattern.rstrip("*") for pattern in includes]
    linked = [
        link.resolve().relative_to(REPO).as_posix()
        for folder in folders
        for link in sorted((REPO / folder).iterdir())
        if link.is_symlink()
    ]
    return ["pyproject.toml", project["project"]["readme"], *folders, *linked]


def test_the_context_keeps_what_the_wheel_needs_and_drops_the_rest() -> None:
    patterns = dockerignore()
    assert [path for path in wheel_inputs() if ignored(path, patterns)] == []
    for heavy in (".git/HEAD", "tests/test_x.py", "clients/node/node_modules/x", "reports/r/x"):
        assert ignored(heavy, patterns), heavy


def build_context(destination: Path) -> None:
    """Copy the files Docker would send (tracked and untracked, less the ignored ones); symlinks
    stay symlinks, as Docker sends them."""
    patterns = dockerignore()
    for folder, subfolders, files in os.walk(REPO):
        here = Path(folder).relative_to(REPO)
        subfolders[:] = [d for d in subfolders if not ignored((here / d).as_posix(), patterns)]
        for name in [d for d in subfolders if (REPO / here / d).is_symlink()]:
            (destination / here).mkdir(parents=True, exist_ok=True)
            (destination / here / name).symlink_to((REPO / here / name).readlink())
        for name in files:
            relative = (here / name).as_posix()
            if not ignored(relative, patterns):
                (destination / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO / relative, destination / relative)


def test_the_wheel_builds_from_the_context_alone(tmp_path: Path) -> None:
    """The first stage's `pip wheel` on just what the context holds: schemas and fixtures in."""
    context, dist = tmp_path / "context", tmp_path / "dist"
    build_context(context)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), "."]
    built = subprocess.run(
        command, cwd=context, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False
    )
    if built.returncode != 0 and "No matching distribution" in built.stderr:
        pytest.skip("no package index for the build backend here")
    assert built.returncode == 0, built.stderr[-2000:]
    [wheel] = dist.glob("*.whl")
    archive = zipfile.ZipFile(wheel)
    names = archive.namelist()
    ns = "realtime_conformance/"
    assert f"{ns}conformance/cli.py" in names and f"{ns}mockserver/app.py" in names
    assert any(name.startswith(f"{ns}schemas/") and name.endswith(".json") for name in names)
    assert any(name.startswith(f"{ns}fixtures/") and name.endswith(".jsonl") for name in names)
    assert not any("__pycache__" in name or name.startswith("tests/") for name in names)
    # One import namespace: nothing generic in site-packages' top level.
    assert {name.split("/")[0] for name in names if ".dist-info/" not in name} == {
        "realtime_conformance"
    }
    [top_level] = [name for name in names if name.endswith(".dist-info/top_level.txt")]
    assert archive.read(top_level).decode().split() == ["realtime_conformance"]
