"""The invite link: both OAuth2 scopes and exactly the channel permissions stylebot uses (README explains each)."""

from __future__ import annotations

import discord

__all__ = ["INVITE_PERMISSIONS", "invite_url"]

INVITE_PERMISSIONS = discord.Permissions(
    view_channel=True,  # see the channel a command was used in
    send_messages=True,  # late results (dead interaction token), challenge announcements and results
    embed_links=True,  # status, result and challenge messages are embeds
    attach_files=True,  # result images, progress previews, challenge style images and entries
    create_public_threads=True,  # each challenge opens a gallery thread on its announcement
    send_messages_in_threads=True,  # challenge entries are posted in that thread
)


def invite_url(application_id: int | str) -> str:
    """The link that adds the bot to a server with the `bot` and `applications.commands` scopes."""
    return (
        f"https://discord.com/oauth2/authorize?client_id={application_id}"
        f"&scope=bot+applications.commands&permissions={INVITE_PERMISSIONS.value}"
    )
