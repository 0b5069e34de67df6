"""challenges: challenges, their entries (each with its stylization job) and votes

Revision ID: 0002_challenges
Revises: 0001_initial
Create Date: 2026-11-25 09:45:02.398698
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_challenges"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "challenges",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("open_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("gallery_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("announcement_message_id", sa.BigInteger(), nullable=True),
        sa.Column("organiser_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=256), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("style_sha", sa.String(length=64), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("max_entries_per_user", sa.Integer(), nullable=False),
        sa.Column("max_entries", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("submissions_close_at", sa.Double(), nullable=False),
        sa.Column("voting_close_at", sa.Double(), nullable=False),
        sa.Column("submissions_announced_at", sa.Double(), nullable=True),
        sa.Column("ended_at", sa.Double(), nullable=True),
        sa.Column("announced_at", sa.Double(), nullable=True),
        sa.Column("ended_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["style_sha"], ["blobs.sha"], name=op.f("fk_challenges_style_sha_blobs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenges")),
        sa.UniqueConstraint("open_channel_id", name=op.f("uq_challenges_open_channel_id")),
    )
    with op.batch_alter_table("challenges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_challenges_gallery_channel_id"), ["gallery_channel_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_challenges_guild_id"), ["guild_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_challenges_state"), ["state"], unique=False)

    op.create_table(
        "challenge_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("challenge_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("content_sha", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("submitted_at", sa.Double(), nullable=False),
        sa.Column("withdrawn_at", sa.Double(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("posted_at", sa.Double(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenges.id"],
            name=op.f("fk_challenge_entries_challenge_id_challenges"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_challenge_entries_job_id_jobs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenge_entries")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_challenge_entries_idempotency_key")),
        sa.UniqueConstraint("job_id", name=op.f("uq_challenge_entries_job_id")),
    )
    with op.batch_alter_table("challenge_entries", schema=None) as batch_op:
        batch_op.create_index("ix_challenge_entries_challenge_user", ["challenge_id", "user_id"], unique=False)

    op.create_table(
        "challenge_votes",
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("voter_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["challenge_entries.id"],
            name=op.f("fk_challenge_votes_entry_id_challenge_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entry_id", "voter_id", name=op.f("pk_challenge_votes")),
    )


def downgrade() -> None:
    op.drop_table("challenge_votes")
    with op.batch_alter_table("challenge_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_challenge_entries_challenge_user")

    op.drop_table("challenge_entries")
    with op.batch_alter_table("challenges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_challenges_state"))
        batch_op.drop_index(batch_op.f("ix_challenges_guild_id"))
        batch_op.drop_index(batch_op.f("ix_challenges_gallery_channel_id"))

    op.drop_table("challenges")
