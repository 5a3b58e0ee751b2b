"""What the wheel asks pip for: every requirement bounded above, the installed versions inside
the bounds, and nothing of asyncapi-python's code generator at run time."""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
OURS = "realtime-conformance"


def requirements() -> list[Requirement]:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    texts = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        texts += extra
    return [Requirement(text) for text in texts]


def third_party() -> list[Requirement]:
    return [r for r in requirements() if r.name != OURS]  # `realtime-conformance[test]` in dev


def test_every_requirement_has_an_upper_bound() -> None:
    unbounded = [
        str(r)
        for r in third_party()
        if not any(s.operator in ("<", "<=", "~=", "==") for s in r.specifier)
    ]
    assert unbounded == []


@pytest.mark.parametrize("requirement", third_party(), ids=str)
def test_the_installed_version_is_within_the_bounds(requirement: Requirement) -> None:
    try:
        installed = version(requirement.name)
    except PackageNotFoundError:
        pytest.skip(f"{requirement.name} is not installed here")
    assert requirement.specifier.contains(installed, prereleases=True), installed


def test_the_code_generator_is_not_a_run_time_requirement() -> None:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    runtime = {Requirement(text).name: Requirement(text) for text in project["dependencies"]}
    assert runtime["asyncapi-python"].extras == set()
    generator = {"black", "typer", "jinja2", "datamodel-code-generator", "isort", "rich", "httpx"}
    assert generator.isdisjoint(runtime)
