"""jobs: attempts lost to a crash of the whole claim (crashes), so such a job is never batched again

A job whose worker died mid-batch (its lease expired) or whose batch handler raised is counted here; the claim's
batching skips such jobs, so a poison job runs alone and exhausts only its own attempts. Existing rows start at 0.

Revision ID: 0006_job_crashes
Revises: 0005_target_channel
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_job_crashes"
down_revision: str | None = "0005_target_channel"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("crashes", sa.Integer(), server_default=sa.text("0"), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("crashes")
