"""INTERACTION_CREATE payloads shaped like Discord's: typed options checked against the synced command, resolved
attachments/users/channels, the invoking member with its permissions string, and the per-interaction upload limit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from standin._payloads import (
    ALL_PERMISSIONS,
    channel_payload,
    channel_permissions,
    effective_permissions,
    member_payload,
    user_payload,
)
from standin._records import ADMINISTRATOR, Channel, Guild, Message, StoredFile, User
from standin._state import State
from standin.errors import BadOption

__all__ = ["DEFAULT_APP_PERMISSIONS", "build_command_data", "interaction_payload", "modal_answers"]

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)
DEFAULT_APP_PERMISSIONS = ALL_PERMISSIONS & ~ADMINISTRATOR
DENIED_BITS = (1 << 11) | (1 << 15) | (1 << 35) | (1 << 38)  # send messages, attach files, threads, send in threads


def _find_path(command: dict[str, Any], path: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Walk sub-command groups/sub-commands; return (the nested option list to fill, the leaf's option defs)."""
    top: list[dict[str, Any]] = []
    holder, defs = top, command.get("options") or []
    for name in path:
        match = next((o for o in defs if o.get("name") == name and o.get("type") in (1, 2)), None)
        if match is None:
            known = [o["name"] for o in defs if o.get("type") in (1, 2)]
            raise BadOption(f"/{command['name']} has no sub-command {name!r} (it has {known})")
        node: dict[str, Any] = {"type": match["type"], "name": name, "options": []}
        holder.append(node)
        holder, defs = node["options"], match.get("options") or []
    if any(o.get("type") in (1, 2) for o in defs):
        raise BadOption(f"/{command['name']} needs a sub-command: one of {[o['name'] for o in defs]}")
    return top, defs


def _check_range(name: str, value: Any, spec: dict[str, Any]) -> None:
    choices = spec.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        raise BadOption(f"option {name!r}: {value!r} is not one of the choices {[c['value'] for c in choices]}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        low, high = spec.get("min_value"), spec.get("max_value")
        if (low is not None and value < low) or (high is not None and value > high):
            raise BadOption(f"option {name!r}: {value!r} is outside [{low}, {high}]")
    if isinstance(value, str):
        low, high = spec.get("min_length", 0), spec.get("max_length", 6000)
        if not low <= len(value) <= high:
            raise BadOption(f"option {name!r}: length {len(value)} is outside [{low}, {high}]")


def _resolved_channel(state: State, guild: Guild | None, channel: Channel, user_id: int) -> dict[str, Any]:
    """A resolved channel: its payload plus the invoking member's permissions there (overwrites applied)."""
    where = state.channels.get(channel.parent_id or 0) or channel  # a thread has its parent's overwrites
    allowed = 0 if guild is None else channel_permissions(guild, where, user_id)
    return {**channel_payload(channel), "permissions": str(allowed)}


def _typed_value(
    state: State, guild: Guild | None, spec: dict[str, Any], raw: Any, resolved: dict[str, Any], user_id: int
) -> Any:
    kind, name = spec["type"], spec["name"]
    if kind == ATTACHMENT:
        stored = (
            raw if isinstance(raw, StoredFile) else state.files.get(int(raw["id"] if isinstance(raw, dict) else raw))
        )
        if stored is None:
            raise BadOption(f"option {name!r}: unknown attachment (use Standin.add_attachment first)")
        resolved.setdefault("attachments", {})[str(stored.id)] = dict(stored.meta)
        return str(stored.id)
    if kind in (USER, MENTIONABLE) and (isinstance(raw, User) or int(raw) in state.users):
        user = raw if isinstance(raw, User) else state.users[int(raw)]
        resolved.setdefault("users", {})[str(user.id)] = user_payload(user)
        if guild is not None and user.id in guild.members:
            member = member_payload(user, guild, with_permissions=True)
            del member["user"]
            resolved.setdefault("members", {})[str(user.id)] = member
        return str(user.id)
    if kind == CHANNEL:
        channel = raw if isinstance(raw, Channel) else state.channels[int(raw)]
        resolved.setdefault("channels", {})[str(channel.id)] = _resolved_channel(state, guild, channel, user_id)
        return str(channel.id)
    if kind in (ROLE, MENTIONABLE):
        role_id = int(raw)
        role_name = guild.roles.get(role_id, "role") if guild else "role"
        resolved.setdefault("roles", {})[str(role_id)] = {
            "id": str(role_id),
            "name": role_name,
            "permissions": "0",
            "position": 1,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": True,
        }
        return str(role_id)
    converters = {STRING: str, INTEGER: int, NUMBER: float, BOOLEAN: bool}
    if kind == INTEGER and (isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer())):
        raise BadOption(f"option {name!r} is an integer, got {raw!r}")
    if kind == BOOLEAN and not isinstance(raw, bool):
        raise BadOption(f"option {name!r} is a boolean, got {raw!r}")
    value = converters[kind](raw)
    _check_range(name, value, spec)
    return value


def build_command_data(
    state: State,
    command: dict[str, Any],
    path: list[str],
    values: Mapping[str, Any],
    guild: Guild | None,
    focused: str | None = None,
    *,
    user_id: int = 0,
) -> dict[str, Any]:
    """The `data` object of a chat-input interaction for `/name path… option:value…`.

    With `focused` (autocomplete), that option's value is the raw text typed so far and required ones may be missing.
    """
    top, defs = _find_path(command, path)
    leaf = top
    while leaf and leaf[-1].get("type") in (1, 2):
        leaf = leaf[-1]["options"]
    by_name = {o["name"]: o for o in defs}
    resolved: dict[str, Any] = {}
    for name, raw in values.items():
        spec = by_name.get(name)
        if spec is None:
            raise BadOption(f"/{' '.join([command['name'], *path])} has no option {name!r} (it has {sorted(by_name)})")
        if name == focused:
            leaf.append({"name": name, "type": spec["type"], "value": str(raw), "focused": True})
            continue
        leaf.append(
            {"name": name, "type": spec["type"], "value": _typed_value(state, guild, spec, raw, resolved, user_id)}
        )
    missing = [o["name"] for o in defs if o.get("required") and o["name"] not in values and focused is None]
    if missing:
        raise BadOption(f"/{' '.join([command['name'], *path])} is missing required options {missing}")
    data: dict[str, Any] = {"id": command["id"], "name": command["name"], "type": command.get("type", 1)}
    data["options"] = top
    if resolved:
        data["resolved"] = resolved
    if command.get("guild_id"):
        data["guild_id"] = command["guild_id"]
    return data


def interaction_payload(
    state: State,
    *,
    ids: tuple[int, str],
    kind: int,
    data: dict[str, Any],
    user: User,
    guild: Guild | None,
    channel: Channel,
    extra: Mapping[str, Any],
    message: Message | None = None,
) -> dict[str, Any]:
    """The whole INTERACTION_CREATE `d`; `extra` may override locale, app_permissions, attachment_size_limit…"""
    interaction_id, token = ids
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(state.application_id),
        "type": kind,
        "data": data,
        "channel_id": str(channel.id),
        "channel": state.channel_json(channel),
        "token": token,
        "version": 1,
        "app_permissions": str(DEFAULT_APP_PERMISSIONS & ~(DENIED_BITS if state.bot_denied(channel) else 0)),
        "locale": "en-US",
        "entitlements": [],
        "attachment_size_limit": state.upload_limit,
        "context": 0 if guild is not None else 1,
    }
    if guild is not None:
        payload.update(
            guild_id=str(guild.id),
            guild={"id": str(guild.id), "locale": "en-US", "features": []},
            guild_locale="en-US",
            member=member_payload(user, guild, with_permissions=True),
            authorizing_integration_owners={"0": str(guild.id)},
        )
        payload["member"]["permissions"] = str(effective_permissions(guild.members.get(user.id, 0)))
    else:
        payload.update(user=user_payload(user), authorizing_integration_owners={"1": str(user.id)})
    if message is not None:
        payload["message"] = state.message_json(message)
    payload.update(extra)
    return payload


def modal_answers(components: list[dict[str, Any]], values: Mapping[str, str]) -> list[dict[str, Any]]:
    """The `components` of a modal submit: the modal's own layout (rows of type 1, labels of type 18) with each
    text input (type 4) replaced by `{type, custom_id, value}`; inputs not named in `values` come back empty."""
    answers: list[dict[str, Any]] = []
    for comp in components:
        kind = comp.get("type")
        if kind == 1:
            answers.append({"type": 1, "components": modal_answers(comp.get("components", []), values)})
        elif kind == 18 and "component" in comp:
            answers.append({"type": 18, "component": modal_answers([comp["component"]], values)[0]})
        elif "custom_id" in comp:
            answers.append({"type": kind, "custom_id": comp["custom_id"], "value": values.get(comp["custom_id"], "")})
    return answers
