"""jobs: the delivery target's own channel (target_channel_id), apart from the channel the request came from

Until now one `channel_id` column held both, so a job whose delivery target names another channel (a challenge
entry made in the challenge's channel, posted to its gallery) lost one of the two. Existing rows delivered to the
one channel they have, so the new column starts as a copy of it.

Revision ID: 0005_target_channel
Revises: 0004_claim_order_index
Create Date: 2026-11-25 10:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_target_channel"
down_revision: str | None = "0004_claim_order_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("target_channel_id", sa.BigInteger(), nullable=True))
    op.execute("UPDATE jobs SET target_channel_id = channel_id")


def downgrade() -> None:
    # the old single column held the job's channel, else the target's
    op.execute("UPDATE jobs SET channel_id = target_channel_id WHERE channel_id IS NULL")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("target_channel_id")
