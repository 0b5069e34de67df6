"""The generated parts of README.md: the configuration table and the image limits table.

    python -m stylebot._readme           rewrite the generated blocks of README.md in place
    python -m stylebot._readme --check   exit 1 and name the stale blocks (tests/test_readme.py checks the same)

Each block sits between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`; everything else in the README is
written by hand. The configuration table comes from `stylebot.settings.SETTINGS_DOC` (so every setting is listed once,
with its default), the limits table from `engine.images.limits_table_markdown()`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from stylebot.settings import SETTINGS_DOC

__all__ = ["BLOCKS", "README", "render_limits_table", "render_settings_table", "stale_blocks", "update_readme"]

README = Path(__file__).resolve().parents[1] / "README.md"

_NO_DEFAULT = {
    "DISCORD_TOKEN": "*(none)*",
    "STYLEBOT_DATABASE_URL": "SQLite file in the data dir",
}


def _cell(text: str) -> str:
    """Table-safe text: `|` escaped, and `<…>` outside code spans shown literally instead of read as HTML."""
    parts = text.replace("|", "\\|").replace("\n", " ").split("`")
    return "`".join(p if i % 2 else p.replace("<", "&lt;").replace(">", "&gt;") for i, p in enumerate(parts))


def render_settings_table() -> str:
    """Every setting: its environment variable, default and meaning."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, default, doc in SETTINGS_DOC:
        shown = f"`{default}`" if default else _NO_DEFAULT.get(name, "*(empty)*")
        lines.append(f"| `{name}` | {_cell(shown)} | {_cell(doc)} |")
    return "\n".join(lines) + "\n"


def render_limits_table() -> str:
    from engine.images import limits_table_markdown  # Pillow only, no torch

    return limits_table_markdown()


BLOCKS: dict[str, Callable[[], str]] = {"settings": render_settings_table, "limits": render_limits_table}


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- generated:{name} -->\n)(.*?)(<!-- /generated:{name} -->)", re.DOTALL)


def current_block(text: str, name: str) -> str | None:
    """The text between the block's markers in `text`, or None when the markers are missing."""
    match = _pattern(name).search(text)
    return match.group(2) if match else None


def stale_blocks(text: str) -> list[str]:
    """Names of generated blocks that are missing from `text` or differ from what would be generated now."""
    return [name for name, render in BLOCKS.items() if current_block(text, name) != render()]


def update_readme(text: str) -> str:
    """`text` with every generated block re-rendered (blocks whose markers are missing are left out)."""
    for name, render in BLOCKS.items():
        text = _pattern(name).sub(lambda m, body=render(): m.group(1) + body + m.group(3), text)
    return text


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    if "--check" in argv:
        stale = stale_blocks(text)
        if stale:
            sys.stderr.write(f"README.md is stale in: {', '.join(stale)}; run `python -m stylebot._readme`\n")
            return 1
        return 0
    README.write_text(update_readme(text), encoding="utf-8")
    missing = [name for name in BLOCKS if current_block(text, name) is None]
    if missing:
        sys.stderr.write(f"README.md has no markers for: {', '.join(missing)}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
