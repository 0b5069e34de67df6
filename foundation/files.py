"""Owner-only files for data at rest (the SQLite database, its WAL and shared-memory files, backups).

The database holds interaction tokens and members' images, so what we create is 0700 (directories) and 0600 (files)
whatever the process umask (0o022 would make them world-readable, 0o000 world-writable). The policy for what exists
already:

- a file of ours (`private_file`) that group or others may read or write is tightened to 0600, with a warning saying
  so: it is ours to fix, and leaving it open would keep the tokens readable;
- a directory that exists already (`private_dir`) is left alone, with a warning when group or others may enter it:
  it may be shared (a home directory, the working directory), and the files in it are owner-only anyway.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

__all__ = ["private_dir", "private_file"]

logger = logging.getLogger(__name__)

_OPEN_TO_OTHERS = stat.S_IRWXG | stat.S_IRWXO


def private_dir(path: str | os.PathLike[str]) -> Path:
    """Create `path` and its missing parents as 0700 directories; warn about an existing one open to others."""
    path = Path(path)
    missing: list[Path] = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=0o700)
        except FileExistsError:  # another process made it meanwhile: theirs is as private as ours
            continue
        directory.chmod(0o700)  # mkdir's mode is masked by the umask; chmod's is not
    if not missing and path.stat().st_mode & _OPEN_TO_OTHERS:
        logger.warning(
            "directory %s is open to other users (mode %o); the files stylebot keeps in it are owner-only",
            path,
            stat.S_IMODE(path.stat().st_mode),
        )
    return path


def private_file(path: str | os.PathLike[str], *, create: bool = True) -> Path:
    """Make `path` an owner-only (0600) file: created empty if missing (with `create`), tightened if open to others."""
    path = Path(path)
    if create:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)  # never truncates an existing file
        os.close(fd)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return path
    if mode & _OPEN_TO_OTHERS:  # (never one we just created: os.open's 0o600 can only lose bits to the umask)
        path.chmod(0o600)
        logger.warning("%s was open to other users (mode %o); tightened it to owner-only (600)", path, mode)
    return path
