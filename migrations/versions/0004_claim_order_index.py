"""queue: claim index in the claim's exact order (fair_rank, priority DESC, id)

Revision ID: 0004_claim_order_index
Revises: 0003_queue_indexes
Create Date: 2026-11-25 10:19:26.583631
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_claim_order_index"
down_revision: str | None = "0003_queue_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_claim"))
        batch_op.create_index(
            "ix_jobs_claim_order",
            ["fair_rank", sa.literal_column("priority DESC"), "id"],
            unique=False,
            sqlite_where=sa.text("state = 'queued'"),
            postgresql_where=sa.text("state = 'queued'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_jobs_claim_order",
            sqlite_where=sa.text("state = 'queued'"),
            postgresql_where=sa.text("state = 'queued'"),
        )
        batch_op.create_index(
            batch_op.f("ix_jobs_claim"),
            ["fair_rank", "id"],
            unique=False,
            sqlite_where=sa.text("state = 'queued'"),
            postgresql_where=sa.text("state = 'queued'"),
        )
