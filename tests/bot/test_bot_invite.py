"""The invite link asks for exactly the permissions the README explains, and the README shows that link."""

from __future__ import annotations

import re
from pathlib import Path

import discord

from bot import INVITE_PERMISSIONS, invite_url

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_the_invite_covers_challenge_threads_as_well_as_results() -> None:
    p = INVITE_PERMISSIONS
    assert p.view_channel and p.send_messages and p.embed_links and p.attach_files
    assert p.create_public_threads and p.send_messages_in_threads  # gallery threads and the entries in them
    assert not (p.administrator or p.manage_messages or p.manage_threads or p.mention_everyone)
    assert p.value == 309237697536


def test_the_readme_shows_the_link_and_explains_every_permission_it_asks_for() -> None:
    assert invite_url("APP_ID") in README
    start = README.index("| permission | why |")
    table = README[start : README.index("\n\n", start)]
    explained = set(re.findall(r"^\s*\| ([A-Z][A-Za-z ]+) \|", table, re.MULTILINE)) - {"permission"}
    described = discord.Permissions(**{name.lower().replace(" ", "_"): True for name in explained})
    assert described.value == INVITE_PERMISSIONS.value  # each row a permission asked for, each one explained
