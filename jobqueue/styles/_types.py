"""Value objects of the style library: a server's named style pictures (frozen, as the stores hand them out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["NewStyle", "OwnerForgotten", "Style", "name_key"]


def name_key(name: str) -> str:
    """The case-insensitive key names are unique by within a server ("Starry" and "starry" are one name)."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class NewStyle:
    """A style to add: its picture (`sha`, a stored blob) and whose picture it is (`owner_id`, for /forget)."""

    guild_id: int
    name: str
    sha: str
    added_by: int
    owner_id: int  # the member whose picture it is: the organiser, or the member whose upload was saved
    description: str = ""


@dataclass(frozen=True)
class Style:
    id: int
    guild_id: int
    name: str
    description: str
    sha: str
    added_by: int
    owner_id: int
    created_at: datetime

    @property
    def key(self) -> str:
        return name_key(self.name)


@dataclass(frozen=True)
class OwnerForgotten:
    """What `forget_owner` removed because it was made from the member's pictures."""

    styles: int  # library styles whose picture was theirs
    jobs: int  # other members' jobs made from their pictures (not running)
    blobs: int  # their pictures (and those jobs' results) deleted
