"""Discord bot extensions, one feature package each (`setup()` in its `__init__.py`, the Cog in `_cog.py`).

`EXTENSIONS` lists every package found here, so a new feature is loaded by adding its folder.
"""

from __future__ import annotations

import pkgutil

__all__ = ["EXTENSIONS"]

EXTENSIONS: tuple[str, ...] = tuple(
    sorted(f"{__name__}.{info.name}" for info in pkgutil.iter_modules(__path__) if info.ispkg)
)
