"""What a test does as a member: run a slash command, autocomplete, a context menu, a modal, click, react, post."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any, TypeVar

from standin._interactions import DENIED_BITS, build_command_data, interaction_payload, modal_answers
from standin._reader import Reader
from standin._records import Channel, Guild, Interaction, Message, User
from standin.errors import BadOption, NotConnected, UnknownCommand, UnknownComponent

__all__ = ["Driver"]

T = TypeVar("T")
UserRef = User | int
VIEW_AND_SEND = (1 << 10) | (1 << 11)


class Driver(Reader):
    """Acting as a member or moderator; reading and waiting come from `Reader`."""

    # acting as a member --------------------------------------------------------------------------------------------
    def _where(self, user: UserRef, guild_id: int | None, channel_id: int | None) -> tuple[User, Guild | None, Channel]:
        """Resolve who acts where: the only guild and its first channel by default; members and DM recipients only."""
        state = self.state
        user_obj = user if isinstance(user, User) else state.users[int(user)]
        if guild_id is None and channel_id is None and len(state.guilds) == 1:
            guild_id = next(iter(state.guilds))
        if channel_id is None:
            if guild_id not in state.guilds:
                raise BadOption(f"say where: unknown guild {guild_id} and no channel_id")
            channel_id = state.guilds[guild_id].channel_id
        channel = state.channels.get(channel_id)
        if channel is None:
            raise BadOption(f"unknown channel {channel_id}")
        if guild_id is not None and channel.guild_id != guild_id:
            raise BadOption(f"channel {channel_id} is not in guild {guild_id}")
        guild = state.guilds.get(channel.guild_id or 0)
        if guild is not None and user_obj.id not in guild.members:
            raise BadOption(f"user {user_obj.name} ({user_obj.id}) is not a member of guild {guild.id}")
        if channel.type == 1 and channel.recipient_id != user_obj.id:
            raise BadOption(f"DM channel {channel.id} belongs to another user")
        return user_obj, guild, channel

    def _find_command(self, name: str, guild: Guild | None) -> dict[str, Any] | None:
        return next((c for c in self.state.commands_for(guild.id if guild else None) if c["name"] == name), None)

    async def _send(
        self, kind: int, data: dict[str, Any], where: tuple[User, Guild | None, Channel], **kw: Any
    ) -> Interaction:
        user, guild, channel = where
        timeout = kw.pop("timeout", 10.0)
        if not self.gateway.live_sessions:
            try:
                await self.wait_until_ready(timeout)
            except TimeoutError:
                raise NotConnected(f"no bot connected to the gateway within {timeout:g}s") from None
        message: Message | None = kw.pop("message", None)
        ids = (self.state.next_id(), f"aW50ZXJhY3Rpb24.{secrets.token_urlsafe(48)}")
        payload = interaction_payload(
            self.state,
            ids=ids,
            kind=kind,
            data=data,
            user=user,
            guild=guild,
            channel=channel,
            extra=kw.pop("extra"),
            message=message,
        )
        inter = Interaction(
            id=ids[0],
            token=ids[1],
            type=kind,
            payload=payload,
            user_id=user.id,
            guild_id=None if guild is None else guild.id,
            channel_id=channel.id,
            created_at=self.state.clock.now(),
            sent_at=time.monotonic(),
            clicked_message_id=None if message is None else message.id,
        )
        self.state.interactions[inter.id] = inter
        self.state.tokens[inter.token] = inter
        self.gateway.dispatch("INTERACTION_CREATE", payload)
        self.state.changed()
        return inter

    async def run_command(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: UserRef,
        guild_id: int | None = None,
        channel_id: int | None = None,
        attachments: Mapping[str, Any] | None = None,
        timeout: float = 10.0,
        **extra: Any,
    ) -> Interaction:
        """Send INTERACTION_CREATE for `/name [sub…] option:value…` as `user`; returns the Interaction record.

        `name` may carry a sub-command path ("queue status", "queue limits set"). Option values: str/int/float/
        bool, an attachment object from `add_attachment` (or its id), a User, a Channel, a role id. Types come from
        the command as synced (waits up to `timeout` for the bot to connect and sync). `extra` overrides payload
        fields such as `locale="de"`, `attachment_size_limit=...`, `app_permissions="0"`.
        """
        where = self._where(user, guild_id, channel_id)
        command, path = await self._synced(name, where[1], timeout)
        values = {**(options or {}), **(attachments or {})}
        data = build_command_data(self.state, command, path, values, where[1], user_id=where[0].id)
        return await self._send(2, data, where, extra=extra, timeout=timeout)

    async def autocomplete(
        self,
        name: str,
        options: Mapping[str, Any],
        focused: str,
        *,
        user: UserRef,
        guild_id: int | None = None,
        channel_id: int | None = None,
        timeout: float = 10.0,
        **extra: Any,
    ) -> Interaction:
        """Send an autocomplete interaction (type 4) with `focused` holding the text typed so far; the bot answers
        with callback type 8 whose `data["choices"]` the test reads."""
        where = self._where(user, guild_id, channel_id)
        command, path = await self._synced(name, where[1], timeout)
        data = build_command_data(self.state, command, path, options, where[1], focused=focused, user_id=where[0].id)
        return await self._send(4, data, where, extra=extra, timeout=timeout)

    async def context_menu(
        self,
        name: str,
        message: Message | int,
        *,
        user: UserRef,
        timeout: float = 10.0,
        **extra: Any,
    ) -> Interaction:
        """Right-click `message` → Apps → `name` as `user`: a message command (type 3) interaction.

        As on Discord, `data` carries `target_id` and the whole target message in `resolved.messages`, attachments
        and embeds included whatever the bot's intents (the gateway copy of another member's message has none)."""
        msg = self._message_ref(message)
        where = self._where(user, msg.guild_id, msg.channel_id)
        guild = where[1]
        command = await self.wait_for(
            lambda: next((c for c in self.state.commands_for(guild.id if guild else None) if _is(c, name, 3)), None),
            timeout,
            f"message command {name!r} to be synced",
        )
        data: dict[str, Any] = {
            "id": command["id"],
            "name": command["name"],
            "type": 3,
            "target_id": str(msg.id),
            "resolved": {"messages": {str(msg.id): self.state.message_json(msg)}},
        }
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        return await self._send(2, data, where, extra=extra, timeout=timeout)

    def image_embed(
        self, attachment: dict[str, Any], url: str = "https://images.example.org/picture.png"
    ) -> dict[str, Any]:
        """The embed Discord unfurls for a link to an image: `url` is the original, `thumbnail.proxy_url` Discord's
        media proxy copy (here: the stand-in's CDN proxy of `attachment`'s bytes)."""
        meta = self.state.files[int(attachment["id"])].meta
        size = {"width": meta.get("width"), "height": meta.get("height")}
        return {"type": "image", "url": url, "thumbnail": {"url": url, "proxy_url": meta["proxy_url"], **size}}

    async def _synced(self, name: str, guild: Guild | None, timeout: float) -> tuple[dict[str, Any], list[str]]:
        top, *path = name.split()
        try:
            command = await self.wait_for(lambda: self._find_command(top, guild), timeout, f"/{top} to be synced")
        except TimeoutError:
            known = sorted({c["name"] for c in self.state.commands_for(guild.id if guild else None)})
            raise UnknownCommand(f"/{top} was never synced (known: {known})") from None
        return command, path

    async def submit_modal(
        self, interaction: Interaction, values: Mapping[str, str], *, timeout: float = 10.0, **extra: Any
    ) -> Interaction:
        """Fill in and submit the modal that `interaction` answered with (callback type 9), as the same member."""
        modal = next((c.data for c in interaction.callbacks if c.type == 9), None)
        if modal is None:
            raise UnknownComponent(f"interaction {interaction.id} was not answered with a modal")
        unknown = set(values) - set(_text_inputs(modal.get("components", [])))
        if unknown:
            raise UnknownComponent(f"modal {modal.get('custom_id')!r} has no inputs {sorted(unknown)}")
        where = self._where(interaction.user_id, interaction.guild_id, interaction.channel_id)
        data = {"custom_id": modal["custom_id"], "components": modal_answers(modal.get("components", []), values)}
        return await self._send(5, data, where, extra=extra, timeout=timeout)

    def _message_ref(self, message: Message | int) -> Message:
        msg = message if isinstance(message, Message) else self.state.messages.get(int(message))
        if msg is None:
            raise UnknownComponent(f"no message {message}")
        return msg

    def react(self, message: Message | int, emoji: str, *, user: UserRef, add: bool = True) -> None:
        """A member adds (or with add=False removes) a reaction: "⭐" or "name:id" for a custom emoji."""
        msg = self._message_ref(message)
        user_obj, _, _ = self._where(user, msg.guild_id, msg.channel_id)
        self.state.react(msg, emoji, user_obj.id, add=add)

    def delete_message(self, message: Message | int) -> None:
        """Someone (a member, a moderator) deletes a message: later edits of it get 404 Unknown Message."""
        self.state.delete_message(self._message_ref(message))

    def delete_channel(self, channel_id: int) -> None:
        """The channel (and its threads) disappear: requests to them get 404 Unknown Channel (10003)."""
        for cid in [c.id for c in self.state.channels.values() if channel_id in (c.id, c.parent_id)]:
            del self.state.channels[cid]
        for guild in self.state.guilds.values():
            if channel_id in guild.channel_ids:
                guild.channel_ids.remove(channel_id)
        self.state.changed()

    def deny_bot(self, channel_id: int, denied: bool = True) -> None:
        """Take Send Messages/Attach Files from the bot in a channel (and its threads): posts get 403 Missing
        Permissions (50013) and interactions from there carry `app_permissions` without those bits."""
        channel = self.state.channels[channel_id]
        channel.bot_denied = denied
        self._overwrite(channel, self.state.bot_user_id, DENIED_BITS if denied else 0)

    def deny_member(self, channel_id: int, user: UserRef, bits: int = VIEW_AND_SEND) -> None:
        """A member permission overwrite denying `bits` (default View Channel + Send Messages) in a channel; `bits=0`
        removes it. The resolved channel of a command option then carries that member's reduced `permissions`."""
        self._overwrite(self.state.channels[channel_id], user if isinstance(user, int) else user.id, bits)

    def _overwrite(self, channel: Channel, user_id: int, bits: int) -> None:
        if bits:
            channel.denied[user_id] = bits
        else:
            channel.denied.pop(user_id, None)
        self.gateway.dispatch(
            "THREAD_UPDATE" if channel.is_thread else "CHANNEL_UPDATE", self.state.channel_json(channel)
        )
        self.state.changed()

    def open_dm(self, user: UserRef) -> Channel:
        """The DM channel between the bot and `user` (for DM interactions and DM deliveries)."""
        return self.state.dm_channel(user if isinstance(user, int) else user.id)

    def post_message(
        self,
        channel_id: int,
        content: str = "",
        *,
        user: UserRef,
        attachments: list[dict[str, Any]] | None = None,
        embeds: list[dict[str, Any]] | None = None,
    ) -> Message:
        """A member writes in a channel or thread (MESSAGE_CREATE goes out; `attachments` from add_attachment,
        `embeds` e.g. an `image_embed` as Discord unfurls a posted image link)."""
        user_obj, guild, channel = self._where(user, None, channel_id)
        if not content and not attachments and not embeds:
            raise BadOption("a message needs content or attachments")
        msg = Message(
            id=self.state.next_id(),
            channel_id=channel.id,
            guild_id=None if guild is None else guild.id,
            author_id=user_obj.id,
            content=content,
            attachments=[self.state.files[int(a["id"])] for a in attachments or []],
            embeds=list(embeds or []),
        )
        return self.state.add_message(msg)

    async def click(
        self,
        message: Message | int,
        custom_id: str,
        *,
        user: UserRef,
        guild_id: int | None = None,
        channel_id: int | None = None,
        values: list[str] | None = None,
        timeout: float = 10.0,
        **extra: Any,
    ) -> Interaction:
        """Press the button (or pick `values` in the select) with `custom_id` on `message` as `user`.

        guild_id/channel_id default to the message's own (pass them only to click from elsewhere)."""
        msg = self._message_ref(message)
        component = _find_component(msg.components, custom_id)
        if msg.deleted or component is None or component.get("disabled"):
            raise UnknownComponent(f"message {msg.id} has no enabled component {custom_id!r} (has {msg.custom_ids})")
        where = self._where(user, guild_id or msg.guild_id, channel_id or msg.channel_id)
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component.get("type", 2)}
        if values is not None:
            _check_values(component, values)
            data["values"] = values
        return await self._send(3, data, where, extra=extra, timeout=timeout, message=msg)


def _is(command: dict[str, Any], name: str, kind: int) -> bool:
    return command["name"] == name and command.get("type", 1) == kind


def _check_values(component: dict[str, Any], values: list[str]) -> None:
    """A member can only pick what a select offers, between its min_values and max_values (default 1 and 1)."""
    low, high = component.get("min_values", 1), component.get("max_values", 1)
    if not low <= len(values) <= high:
        raise BadOption(f"select {component.get('custom_id')!r} takes {low}..{high} values, got {len(values)}")
    if component.get("type", 3) == 3:
        offered = [o["value"] for o in component.get("options", [])]
        if unknown := [v for v in values if v not in offered]:
            raise BadOption(f"select {component.get('custom_id')!r} offers no {unknown} (offers {offered})")


def _find_component(components: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
    stack = list(components)
    while stack:
        comp = stack.pop()
        if comp.get("custom_id") == custom_id:
            return comp
        stack.extend(comp.get("components", []))
        if isinstance(comp.get("accessory"), dict):
            stack.append(comp["accessory"])
    return None


def _text_inputs(components: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []
    for comp in components:
        if comp.get("type") == 4 and "custom_id" in comp:
            found.append(comp["custom_id"])
        found += _text_inputs(comp.get("components", []) + ([comp["component"]] if "component" in comp else []))
    return found
