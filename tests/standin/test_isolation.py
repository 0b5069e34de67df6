"""The stand-in stays out of production code paths (ARCHITECTURE.md) and keeps tokens out of its messages."""

from __future__ import annotations

import re
from pathlib import Path

from standin import RequestRecord

ROOT = Path(__file__).resolve().parents[2]
IMPORT = re.compile(r"^\s*(from\s+standin\b|import\s+standin\b)", re.MULTILINE)


def test_no_production_package_imports_the_stand_in() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("bot", "delivery", "engine", "jobqueue")
        for path in (ROOT / package).rglob("*.py")
        if IMPORT.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_request_paths_shown_in_messages_hide_tokens() -> None:
    record = RequestRecord("PATCH", "/webhooks/123/aW50ZXJhY3Rpb24.secret/messages/@original", 401, {})
    assert record.safe_path == "/webhooks/123/<token>/messages/@original"
    callback = RequestRecord("POST", "/interactions/9/tok/callback", 204, {})
    assert callback.safe_path == "/interactions/9/<token>/callback"


def test_public_names_resolve_and_private_modules_stay_private() -> None:
    import standin

    assert sorted(standin.__all__) == sorted(set(standin.__all__))
    for name in standin.__all__:
        assert getattr(standin, name) is not None
    public = {n for n in vars(standin) if not n.startswith("_")} - {"errors", "annotations"}
    assert public <= set(standin.__all__), public - set(standin.__all__)
