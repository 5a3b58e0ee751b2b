"""One import namespace: the packages are imported as `realtime_conformance.<name>` only.

The repository keeps rtproto/, mockserver/, refclient/, conformance/, schemas/ and fixtures/ at
its top level and realtime_conformance/ links to them, so in a checkout both spellings resolve,
and a bare `import conformance` left anywhere would load a second copy of a module (and, once
installed from the wheel, fail). These tests keep every import and module name under the
namespace; tests/test_dockerfile.py checks the wheel's top level is that one name.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import realtime_conformance

REPO = Path(__file__).resolve().parent.parent
BARE = ("rtproto", "mockserver", "refclient", "conformance", "schemas", "fixtures")
FOLDERS = (*BARE, "realtime_conformance", "tests", "tools", "bench", "examples")
# A module name in a string: a driver spec, an importlib name, `-m` arguments, entry points.
MODULE_STRING = re.compile(rf"^(?:{'|'.join(BARE)})\.[A-Za-z_][\w.]*(?::\w+)?$")


def python_files() -> list[Path]:
    return sorted(path for folder in FOLDERS for path in (REPO / folder).rglob("*.py"))


def bare_names(path: Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in BARE]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [node.module] if node.module.split(".")[0] in BARE else []
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found += [node.value] if MODULE_STRING.match(node.value) else []
    return found


def test_the_namespace_links_each_package_folder() -> None:
    root = Path(realtime_conformance.__file__).parent
    for name in BARE:
        link = REPO / "realtime_conformance" / name
        assert link.is_symlink() and link.readlink() == Path("..", name), name
        assert (root / name / "__init__.py").is_file(), name


def test_no_source_names_a_package_outside_the_namespace() -> None:
    files = python_files()
    assert len(files) > 400  # the walk found the sources
    leftovers = {
        str(path.relative_to(REPO)): names for path in files if (names := bare_names(path))
    }
    assert leftovers == {}


def test_the_cli_and_a_case_run_load_nothing_under_a_bare_name(tmp_path: Path) -> None:
    """In the checkout's directory, where a bare import would succeed (and load a copy)."""
    output = tmp_path / "run"
    code = (
        "import sys\n"
        "from realtime_conformance.conformance.cli import main\n"
        "import realtime_conformance.conformance.plugin, realtime_conformance.mockserver.cli\n"
        "import realtime_conformance.mockserver.pytest_plugin\n"
        f"status = main(['run', '--case', '5.1.1', '--dialect', 'ga', '--output', {str(output)!r}]"
        ")\n"
        f"print(status, sorted(m for m in sys.modules if m.split('.')[0] in {BARE!r}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-1] == "0 []", done.stdout[-2000:]
    assert (output / "results.json").is_file()
