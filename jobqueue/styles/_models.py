"""Tables of the style library, on the job queue's `Base` (created by the Alembic revision `0008_styles`).

Same conventions as `jobqueue._models` (epoch-second `Double` timestamps, `BigInteger` Discord ids).

- `styles`: one row per named style of a server; `name_key` (the case-folded name) is unique per server; `sha` is
  the picture's blob, kept while the row exists (`style_kept_refs`).
- `style_settings`: per-server library settings (built-ins hidden).
- `picture_owners`: whose picture a blob is, when it is not the member who made the job (a right-clicked message,
  a saved upload); that member's /forget deletes it and what was made from it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Double, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jobqueue._models import Base, JobId

__all__ = ["STYLE_TABLES", "PictureOwnerRow", "StyleRow", "StyleSettingsRow"]


class StyleRow(Base):
    __tablename__ = "styles"
    __table_args__ = (UniqueConstraint("guild_id", "name_key"),)

    id: Mapped[int] = mapped_column(JobId, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(64))
    name_key: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text)
    sha: Mapped[str] = mapped_column(String(64), ForeignKey("blobs.sha"), index=True)
    added_by: Mapped[int] = mapped_column(BigInteger)
    owner_id: Mapped[int] = mapped_column(BigInteger, index=True)
    created_at: Mapped[float] = mapped_column(Double)


class StyleSettingsRow(Base):
    __tablename__ = "style_settings"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    builtins_hidden: Mapped[bool] = mapped_column(Boolean)


class PictureOwnerRow(Base):
    __tablename__ = "picture_owners"

    sha: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)
    created_at: Mapped[float] = mapped_column(Double)


STYLE_TABLES = (StyleRow.__table__, StyleSettingsRow.__table__, PictureOwnerRow.__table__)
