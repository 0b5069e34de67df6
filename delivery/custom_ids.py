"""The one button custom-id scheme: versioned, parseable, at most 100 characters.

    sb1:<kind>:<id>:<action>[:<arg>]

    sb1:job:42:cancel        sb1:job:42:reroll        sb1:job:42:stronger        sb1:job:42:weaker
    sb1:entry:7:vote         sb1:entry:7:withdraw     sb1:challenge:3:enter      sb1:challenge:3:close
    sb1:job:42:save          sb1:challenge:3:save     ("Save as style": the picture's style into the library)

`build(kind, id, action)` makes one; `parse(text)` returns a `ParsedId` or `None` for anything else (other bots'
ids, older schemes, garbage, oversized numbers) and never raises. The bot registers persistent views whose
`discord.ui.DynamicItem` templates are `TEMPLATES[kind]` (regular expressions with named groups `id`, `action`,
`arg`; `kind` too), so buttons keep working after a restart; `template(kinds, actions)` narrows one to some actions
(the job buttons' item takes `JobAction`s, the "Save as style" item `SAVE_STYLE` of `SAVE_KINDS`). New actions are
added to `ACTIONS`; a change of meaning needs a new `VERSION` (old ids then parse as `None` and the bot answers "this
button is outdated").
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "ACTIONS",
    "MAX_LENGTH",
    "PREFIX",
    "SAVE_KINDS",
    "SAVE_STYLE",
    "SAVE_STYLE_TEMPLATE",
    "TEMPLATES",
    "VERSION",
    "JobAction",
    "ParsedId",
    "build",
    "job_button_id",
    "parse",
    "save_style_id",
    "template",
]

VERSION = 1
PREFIX = f"sb{VERSION}"
MAX_LENGTH = 100  # Discord's limit for a component custom_id
_MAX_ID = 2**63 - 1  # Discord snowflakes and database ids fit a signed 64-bit integer


class JobAction(enum.StrEnum):
    CANCEL = "cancel"
    REROLL = "reroll"  # same settings, new seed
    STRONGER = "stronger"  # more style
    WEAKER = "weaker"  # less style


SAVE_STYLE = "save"  # "Save as style": a result's (job's) or a challenge's style picture into the server's library
SAVE_KINDS = ("job", "challenge")

ACTIONS: dict[str, frozenset[str]] = {
    "job": frozenset({*(a.value for a in JobAction), SAVE_STYLE}),
    "entry": frozenset({"vote", "withdraw"}),
    "challenge": frozenset({"enter", "close", SAVE_STYLE}),
}

_ARG = r"[A-Za-z0-9_-]{1,32}"


def template(kinds: str | Iterable[str], actions: Iterable[str] | None = None) -> str:
    """A `DynamicItem` template (named groups `kind`, `id`, `action`, `arg`) for `actions` of `kinds` (default: every
    action of the one kind); raises ValueError for a kind or an action that `build` would refuse."""
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    if not kinds or any(kind not in ACTIONS for kind in kinds):
        raise ValueError(f"unknown custom-id kind in {kinds!r}; known: {', '.join(sorted(ACTIONS))}")
    wanted = {str(a) for a in actions} if actions is not None else set(ACTIONS[kinds[0]])
    if not wanted or any(not wanted <= ACTIONS[kind] for kind in kinds):
        raise ValueError(f"actions {sorted(wanted)} are not all actions of {', '.join(kinds)}")
    kind_group, action_group = "|".join(kinds), "|".join(sorted(wanted))
    return (
        rf"{PREFIX}:(?P<kind>{kind_group}):(?P<id>[1-9][0-9]{{0,18}}):(?P<action>{action_group})"
        rf"(?::(?P<arg>{_ARG}))?"
    )


TEMPLATES: dict[str, str] = {kind: template(kind) for kind in ACTIONS}
SAVE_STYLE_TEMPLATE = template(SAVE_KINDS, (SAVE_STYLE,))
_PATTERN = re.compile(
    rf"{PREFIX}:(?P<kind>[a-z]{{1,16}}):(?P<id>[1-9][0-9]{{0,18}}):(?P<action>[a-z]{{1,16}})(?::(?P<arg>{_ARG}))?"
)


@dataclass(frozen=True)
class ParsedId:
    kind: str  # "job" | "entry" | "challenge"
    id: int
    action: str  # a member of ACTIONS[kind]; for jobs compare with JobAction (or SAVE_STYLE)
    arg: str | None = None
    version: int = VERSION

    def __str__(self) -> str:
        return build(self.kind, self.id, self.action, arg=self.arg)


def build(kind: str, id: int, action: str, *, arg: str | None = None) -> str:
    """The custom id for `action` on object `id` of `kind`; raises ValueError for anything `parse` would reject."""
    if kind not in ACTIONS:
        raise ValueError(f"unknown custom-id kind {kind!r}; known: {', '.join(sorted(ACTIONS))}")
    if str(action) not in ACTIONS[kind]:
        raise ValueError(f"unknown action {action!r} for {kind}; known: {', '.join(sorted(ACTIONS[kind]))}")
    if isinstance(id, bool) or not isinstance(id, int) or not 0 < id <= _MAX_ID:
        raise ValueError(f"custom-id object id must be a positive 64-bit integer, got {id!r}")
    text = f"{PREFIX}:{kind}:{id}:{action}"
    if arg is not None:
        if not re.fullmatch(_ARG, arg):
            raise ValueError(f"custom-id argument must be 1-32 letters, digits, '_' or '-', got {arg!r}")
        text += f":{arg}"
    return text


def job_button_id(job_id: int, action: JobAction | str) -> str:
    return build("job", job_id, JobAction(action).value)


def save_style_id(kind: str, id: int) -> str:
    """The "Save as style" button of a result (`kind` "job") or a challenge announcement ("challenge")."""
    if kind not in SAVE_KINDS:
        raise ValueError(f"only {' and '.join(SAVE_KINDS)} pictures can be saved as styles, not {kind!r}")
    return build(kind, id, SAVE_STYLE)


def parse(text: object) -> ParsedId | None:
    """Parse a custom id made by `build`; `None` for anything else. Never raises."""
    if not isinstance(text, str) or len(text) > MAX_LENGTH:
        return None
    m = _PATTERN.fullmatch(text)
    if m is None or m["kind"] not in ACTIONS or m["action"] not in ACTIONS[m["kind"]]:
        return None
    value = int(m["id"])
    if value > _MAX_ID:
        return None
    return ParsedId(kind=m["kind"], id=value, action=m["action"], arg=m["arg"])
