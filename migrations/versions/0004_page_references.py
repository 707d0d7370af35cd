"""page references: what a link's page was on its first good check

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "page_references",
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("site_name", sa.Text(), nullable=True),
        sa.Column("lang", sa.String(length=32), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("sketch", sa.Text(), nullable=True),
        sa.Column("words", sa.Integer(), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("change_kind", sa.String(length=16), nullable=True),
        sa.Column("change_reason", sa.Text(), nullable=True),
        sa.Column("change_title", sa.Text(), nullable=True),
        sa.Column("change_site_name", sa.Text(), nullable=True),
        sa.Column("change_lang", sa.String(length=32), nullable=True),
        sa.Column("change_host", sa.String(length=255), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("change_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("change_confirmed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["links.id"],
            name=op.f("fk_page_references_link_id_links"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("link_id", name=op.f("pk_page_references")),
    )


def downgrade() -> None:
    op.drop_table("page_references")
