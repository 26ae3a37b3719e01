"""register entries: leaving the register (left_on, left_why) and retention's mark

Revision ID: 0020
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cetr_bot.storage.types

revision: str = "0020"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dsr_entries") as batch:
        batch.add_column(sa.Column("left_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("left_why", sa.String(length=20), nullable=True))
        batch.add_column(
            sa.Column("data_removed_at", cetr_bot.storage.types.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("dsr_entries") as batch:
        batch.drop_column("data_removed_at")
        batch.drop_column("left_why")
        batch.drop_column("left_on")
