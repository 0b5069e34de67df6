"""Lazy package exports: a package's public names load their (heavy) module on first use.

`engine`, `bot` and `jobqueue` keep imports of torch, discord.py or SQLAlchemy out of `import <package>`, so that
the bot can use `engine.images` without torch and `jobqueue`'s value types come without SQLAlchemy.

    __getattr__, __dir__ = lazy_exports(__name__, {"Name": "package._module"}, globals(), __all__)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, names: dict[str, str], namespace: MutableMapping[str, Any], public: Iterable[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module-level `__getattr__` and `__dir__` that import `names[name]` on first access and cache the value."""
    listed = sorted(public)

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return listed

    return __getattr__, __dir__
