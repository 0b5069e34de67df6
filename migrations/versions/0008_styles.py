"""styles: a server's style library, its settings and the owners of pictures

Self-contained (new tables only): `styles` (named pictures per server, unique by case-folded name), `style_settings`
(built-ins hidden) and `picture_owners` (whose picture a blob is, for /forget).

Revision ID: 0008_styles
Revises: 0007_advisory_leases
Create Date: 2026-12-03 19:58:41.332756
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_styles"
down_revision: str | None = "0007_advisory_leases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "picture_owners",
        sa.Column("sha", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("sha", "owner_id", name=op.f("pk_picture_owners")),
    )
    with op.batch_alter_table("picture_owners", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_picture_owners_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "style_settings",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("builtins_hidden", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_style_settings")),
    )
    op.create_table(
        "styles",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("name_key", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("sha", sa.String(length=64), nullable=False),
        sa.Column("added_by", sa.BigInteger(), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["sha"], ["blobs.sha"], name=op.f("fk_styles_sha_blobs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_styles")),
        sa.UniqueConstraint("guild_id", "name_key", name=op.f("uq_styles_guild_id_name_key")),
    )
    with op.batch_alter_table("styles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_styles_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_styles_sha"), ["sha"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("styles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_styles_sha"))
        batch_op.drop_index(batch_op.f("ix_styles_owner_id"))

    op.drop_table("styles")
    op.drop_table("style_settings")
    with op.batch_alter_table("picture_owners", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_picture_owners_owner_id"))

    op.drop_table("picture_owners")
