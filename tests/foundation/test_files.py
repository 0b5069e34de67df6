"""`private_dir` / `private_file`: what they create is owner-only whatever the umask; what exists is tightened
(files) or reported (directories)."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from foundation import private_dir, private_file


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_created_directories_and_files_are_owner_only_even_under_umask_000(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        made = private_dir(tmp_path / "a" / "b")
        created = private_file(made / "f")
    finally:
        os.umask(old)
    assert (mode(tmp_path / "a"), mode(made), mode(created)) == (0o700, 0o700, 0o600)


def test_an_existing_shared_directory_is_left_alone_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tmp_path.chmod(0o755)
    caplog.set_level(logging.WARNING)
    private_dir(tmp_path)
    assert mode(tmp_path) == 0o755
    assert "open to other users" in caplog.text


def test_an_existing_file_keeps_its_content_and_loses_other_users_access(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"kept")
    path.chmod(0o664)
    caplog.set_level(logging.WARNING)
    private_file(path)
    assert (path.read_bytes(), mode(path)) == (b"kept", 0o600)
    assert "tightened" in caplog.text
    assert private_file(tmp_path / "absent", create=False) == tmp_path / "absent"
    assert not (tmp_path / "absent").exists()
