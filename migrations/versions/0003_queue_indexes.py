"""queue: fewer, partial job indexes (guild active jobs; one running-lease index)

Revision ID: 0003_queue_indexes
Revises: 0002_challenges
Create Date: 2026-11-25 09:55:08.542455
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_queue_indexes"
down_revision: str | None = "0002_challenges"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_guild_state"))
        batch_op.drop_index(batch_op.f("ix_jobs_running_deadline"))
        batch_op.create_index(
            "ix_jobs_guild_active",
            ["guild_id"],
            unique=False,
            sqlite_where=sa.text("state IN ('queued', 'running')"),
            postgresql_where=sa.text("state IN ('queued', 'running')"),
        )


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_jobs_guild_active",
            sqlite_where=sa.text("state IN ('queued', 'running')"),
            postgresql_where=sa.text("state IN ('queued', 'running')"),
        )
        batch_op.create_index(
            batch_op.f("ix_jobs_running_deadline"),
            ["deadline_at"],
            unique=False,
            sqlite_where=sa.text("state = 'running'"),
            postgresql_where=sa.text("state = 'running'"),
        )
        batch_op.create_index(batch_op.f("ix_jobs_guild_state"), ["guild_id", "state"], unique=False)
