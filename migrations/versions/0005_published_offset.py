"""page metadata: the offset at which the page wrote its publication date

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("page_metadata") as batch:
        batch.add_column(sa.Column("published_offset", sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("page_metadata") as batch:
        batch.drop_column("published_offset")
