"""Tables of community challenges, on the job queue's `Base` (created by the Alembic revision `0002_challenges`).

Same conventions as `jobqueue._models`: timestamps are UTC epoch seconds (`Double`), JSON is `Text`, Discord ids are
`BigInteger`, row ids are 64-bit (the rowid on SQLite).

- `challenges`: one row per challenge. `open_channel_id` equals `channel_id` while the challenge is open and is NULL
  afterwards; its unique constraint makes "one open challenge per channel" hold atomically on SQLite and Postgres.
- `challenge_entries`: a member's submission and the job that stylizes it (`job_id` is NULL only for the instant
  between reserving the entry and enqueueing its job). The bot posts finished entries to the gallery itself (the
  job's delivery target is `none`) and records `message_id`/`posted_at`.
- `challenge_votes`: one row per (entry, voter); the primary key makes a second vote impossible.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Double, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jobqueue._models import Base, JobId

__all__ = ["CHALLENGE_TABLES", "ChallengeRow", "EntryRow", "VoteRow"]


class ChallengeRow(Base):
    __tablename__ = "challenges"

    id: Mapped[int] = mapped_column(JobId, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    open_channel_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    gallery_channel_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    announcement_message_id: Mapped[int | None] = mapped_column(BigInteger)
    organiser_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(256))
    description: Mapped[str] = mapped_column(Text)
    style_sha: Mapped[str] = mapped_column(String(64), ForeignKey("blobs.sha"))
    params: Mapped[str] = mapped_column(Text)  # JSON object (engine.StyleParams.to_dict())
    max_entries_per_user: Mapped[int] = mapped_column(Integer)
    max_entries: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[float] = mapped_column(Double)
    submissions_close_at: Mapped[float] = mapped_column(Double)
    voting_close_at: Mapped[float] = mapped_column(Double)
    submissions_announced_at: Mapped[float | None] = mapped_column(Double)
    ended_at: Mapped[float | None] = mapped_column(Double)
    announced_at: Mapped[float | None] = mapped_column(Double)
    ended_by: Mapped[int | None] = mapped_column(BigInteger)


class EntryRow(Base):
    __tablename__ = "challenge_entries"
    __table_args__ = (Index("ix_challenge_entries_challenge_user", "challenge_id", "user_id"),)

    id: Mapped[int] = mapped_column(JobId, primary_key=True, autoincrement=True)
    challenge_id: Mapped[int] = mapped_column(JobId, ForeignKey("challenges.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(BigInteger)
    job_id: Mapped[int | None] = mapped_column(JobId, ForeignKey("jobs.id", ondelete="SET NULL"), unique=True)
    content_sha: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    submitted_at: Mapped[float] = mapped_column(Double)
    withdrawn_at: Mapped[float | None] = mapped_column(Double)
    message_id: Mapped[int | None] = mapped_column(BigInteger)  # the gallery post (with its Vote button)
    posted_at: Mapped[float | None] = mapped_column(Double)  # posted, or failure told
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)


class VoteRow(Base):
    __tablename__ = "challenge_votes"

    entry_id: Mapped[int] = mapped_column(
        JobId, ForeignKey("challenge_entries.id", ondelete="CASCADE"), primary_key=True
    )
    voter_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    created_at: Mapped[float] = mapped_column(Double)


CHALLENGE_TABLES = (ChallengeRow.__table__, EntryRow.__table__, VoteRow.__table__)
