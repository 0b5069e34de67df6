"""The README says what the repository does: Quick start = the Makefile's targets, generated tables up to date."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from stylebot import _readme
from stylebot.settings import SETTINGS_DOC

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.MULTILINE | re.DOTALL)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def _code_blocks(text: str) -> list[str]:
    return re.findall(r"^```[a-z]*\n(.*?)^```", text, re.MULTILINE | re.DOTALL)


def _commands(block: str) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in block.splitlines())
    return [line for line in lines if line]


def _make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return {m.group(1) for m in re.finditer(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", text, re.MULTILINE)}


def test_quick_start_is_exactly_make_run_and_make_test() -> None:
    blocks = _code_blocks(_section("Quick start"))
    assert len(blocks) == 1, "the Quick start has one code block"
    assert _commands(blocks[0]) == ["make run", "make test"]


def test_every_make_command_in_the_readme_is_a_makefile_target() -> None:
    targets = _make_targets()
    assert {"run", "test", "setup"} <= targets
    named = [
        shlex.split(cmd)[1]
        for block in _code_blocks(README)
        for cmd in _commands(block)
        if cmd.startswith("make ") and len(shlex.split(cmd)) > 1
    ]
    assert "run" in named and "test" in named
    assert not set(named) - targets, f"README names make targets the Makefile lacks: {set(named) - targets}"


def test_the_target_parser_reads_rules_but_not_variables() -> None:
    assert "PY" not in _make_targets() and "STAMP" not in _make_targets()  # `PY := …`, not rules


def test_ci_runs_the_readmes_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line.strip() for line in script.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert any(shlex.split(line)[:2] == ["make", "test"] for line in commands), "CI must run `make test`"


@pytest.mark.parametrize("name", sorted(_readme.BLOCKS))
def test_generated_tables_are_up_to_date(name: str) -> None:
    assert _readme.current_block(README, name) == _readme.BLOCKS[name](), (
        f"README's {name} table is stale: run `python -m stylebot._readme`"
    )


def test_the_configuration_table_lists_every_setting_once() -> None:
    table = _readme.current_block(README, "settings") or ""
    names = re.findall(r"^\| `([A-Z_]+)` \|", table, re.MULTILINE)
    assert names == [name for name, _, _ in SETTINGS_DOC]


def test_update_fills_empty_markers_and_check_spots_a_stale_table() -> None:
    text = "intro\n<!-- generated:settings -->\nSTALE TEXT\n<!-- /generated:settings -->\n"
    assert _readme.stale_blocks(text) == ["settings", "limits"]  # stale settings, missing limits
    updated = _readme.update_readme(text)
    assert _readme.current_block(updated, "settings") == _readme.render_settings_table()
    assert updated.startswith("intro\n") and "STALE TEXT" not in updated


def test_table_cells_keep_angle_brackets_visible_outside_code() -> None:
    assert _readme._cell("a <dir> `b <c>` | d") == "a &lt;dir&gt; `b <c>` \\| d"


def test_readme_example_picture_exists_and_is_small() -> None:
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README)
    assert pictures, "the README shows an example result"
    for rel in pictures:
        path = ROOT / rel
        assert path.is_file(), rel
        assert path.stat().st_size < 300_000, f"{rel} should stay small"
