"""advisory_leases: named roles that one process holds at a time (e.g. the delivery loop that edits queued jobs)

Revision ID: 0007_advisory_leases
Revises: 0006_job_crashes
Create Date: 2026-12-02 11:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_advisory_leases"
down_revision: str | None = "0006_job_crashes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "advisory_leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_advisory_leases")),
    )


def downgrade() -> None:
    op.drop_table("advisory_leases")
