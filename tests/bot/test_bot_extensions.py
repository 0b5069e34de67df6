"""Every extension loads, command names never collide, and the payload is what sync would send."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot import EXTENSIONS, BotConfig, Stylebot, command_payload

ROOT = Path(__file__).resolve().parents[2]


async def _loaded() -> Stylebot:
    client = Stylebot(BotConfig(), store=None)
    await client.load_extensions()
    return client


async def test_every_extension_loads_and_no_command_name_collides() -> None:
    client = await _loaded()
    try:
        assert client.failed_extensions == set()
        assert {"bot.exts.stylize", "bot.exts.jobs", "bot.exts.queue", "bot.exts.buttons", "bot.exts.errors"} <= set(
            EXTENSIONS
        )
        assert set(client.extensions) == set(EXTENSIONS)
        names = [c.name for c in client.tree.get_commands()]
        assert len(names) == len(set(names)), names
        queue = client.tree.get_command("queue")
        assert queue is not None
        subs = [c.name for c in queue.walk_commands()]  # type: ignore[union-attr]
        assert len(subs) == len(set(subs))
        assert {"status", "pause", "resume", "cancel", "retry", "purge", "limits", "block", "unblock"} <= set(subs)
    finally:
        await client.close()


async def test_admin_commands_are_hidden_from_members_by_default_permissions() -> None:
    client = await _loaded()
    try:
        by_name = {c["name"]: c for c in command_payload(client.tree)}
    finally:
        await client.close()
    assert {"stylize", "jobs", "forget", "queue"} <= set(by_name)
    assert int(by_name["queue"]["default_member_permissions"]) == 32  # Manage Server
    assert by_name["stylize"].get("default_member_permissions") is None
    options = {o["name"]: o for o in by_name["stylize"]["options"]}
    assert [o["name"] for o in by_name["stylize"]["options"]][:2] == ["content", "style"]
    assert options["content"]["type"] == 11 and options["content"]["required"]
    assert {"style2", "strength", "size", "preset", "preserve_colors", "seed"} <= set(options)
    assert not options["style"].get("required")  # a style_name from the library may stand in for it
    for name in ("style_name", "style2_name"):
        assert options[name]["type"] == 3 and options[name]["autocomplete"] is True


async def test_the_style_library_help_and_the_message_command_are_in_the_payload() -> None:
    client = await _loaded()
    try:
        payload = command_payload(client.tree)
    finally:
        await client.close()
    by_key = {(c["name"], c.get("type", 1)): c for c in payload}
    style = by_key[("style", 1)]
    assert {o["name"] for o in style["options"]} >= {"add", "remove", "rename", "list", "show", "builtins"}
    assert ("help", 1) in by_key
    menu = by_key[("Stylize", 3)]
    assert "description" not in menu or not menu["description"]
    assert sum(1 for c in payload if c.get("type") == 3) <= 5  # Discord's limit on message commands per app


def test_commands_json_prints_the_payload_without_token_or_network(tmp_path: Path) -> None:
    pythonpath = os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(ROOT)) if p)
    env = {"PYTHONPATH": pythonpath, "PATH": "/usr/bin:/bin", "DISCORD_API_BASE": "http://127.0.0.1:9"}
    out = subprocess.run(
        [sys.executable, "-m", "stylebot", "bot", "commands", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    payload = json.loads(out.stdout)
    assert sorted(c["name"] for c in payload) == sorted({c["name"] for c in payload})
    assert {"queue", "style", "help", "Stylize"} <= {c["name"] for c in payload}
    [stylize] = [c for c in payload if c["name"] == "stylize"]
    assert any(o["name"] == "style_name" and o.get("autocomplete") for o in stylize["options"])
