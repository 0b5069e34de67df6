"""previews: each job's instant preview (its picture and where it stands) and a server's switch for previews

Revision ID: 0009_previews
Revises: 0008_styles
Create Date: 2026-12-04 00:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_previews"
down_revision: str | None = "0008_styles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = sa.text("state IN ('queued', 'running')")


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preview_sha", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("preview_state", sa.String(length=16), nullable=True))
        batch_op.create_index(
            "ix_jobs_preview", ["preview_state", "id"], unique=False, sqlite_where=ACTIVE, postgresql_where=ACTIVE
        )
    with op.batch_alter_table("guild_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previews", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("guild_settings", schema=None) as batch_op:
        batch_op.drop_column("previews")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_preview", sqlite_where=ACTIVE, postgresql_where=ACTIVE)
        batch_op.drop_column("preview_state")
        batch_op.drop_column("preview_sha")
