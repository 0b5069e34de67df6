"""The import graph is the architecture (shared/STYLE.md): check it in fresh interpreters."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("torch", "discord", "sqlalchemy", "aiohttp")


def _modules_after_import(module: str) -> set[str]:
    code = f"import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return {name.split(".")[0] for name in json.loads(out)}


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("engine", HEAVY),
        ("engine.images", HEAVY),
        ("engine.budget", HEAVY),
        ("bot", ("torch", "sqlalchemy")),
        ("delivery", ("torch", "sqlalchemy")),
        ("jobqueue", ("torch", "discord")),
        ("standin", ("torch", "sqlalchemy", "discord")),
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
