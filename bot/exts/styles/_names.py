"""Style names: what a member may call a style (1-32 characters, no mentions, no markdown) and the built-ins' names.

A name is shown in embeds, select menus and autocomplete; it must not ping anyone or change how the text around it
renders, so anything that Discord would read as a mention, an emoji, a link or markdown is refused, with the reason.
"""

from __future__ import annotations

import re
import unicodedata

from bot.errors import StyleNameRejected

__all__ = ["MAX_NAME", "clean_name"]

MAX_NAME = 32
_ALLOWED = re.compile(r"[\w .,'!?&+\-()]+")
_MARKDOWN = set("*_~`|>#[]<@:\\/")


def clean_name(text: str, *, reserved: frozenset[str] = frozenset()) -> str:
    """The name with its whitespace collapsed; raises StyleNameRejected with what to change (`reserved`: name keys
    that are taken by the built-in styles)."""
    name = " ".join(unicodedata.normalize("NFKC", text).split())
    if not name:
        raise StyleNameRejected("it is empty; give the style a short name such as Blue Period")
    if len(name) > MAX_NAME:
        raise StyleNameRejected(f"it is {len(name)} characters long; use at most {MAX_NAME}")
    if "@" in name or "<" in name or "#" in name:
        raise StyleNameRejected("it looks like a mention (@, #, <); use letters, digits and spaces")
    if bad := sorted(set(name) & _MARKDOWN):
        raise StyleNameRejected(f"it contains formatting characters ({' '.join(bad)}); use letters, digits and spaces")
    if not _ALLOWED.fullmatch(name) or not any(ch.isalnum() for ch in name):
        raise StyleNameRejected("use letters, digits, spaces and simple punctuation (- . , ' ! ? & + ( ))")
    if name.casefold() in reserved:
        raise StyleNameRejected(f"{name} is the name of a built-in style; pick another")
    return name
