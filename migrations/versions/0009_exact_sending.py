"""reminder claims carry a lease and an owner; rows are marked in flight just before the send

Adds reminders.claimed_by (the dispatcher holding the claim), reminders.lease_until
(renewed by its heartbeat; past it, another dispatcher puts the row back) and
reminders.in_flight_at (set by the check just before the send; a cancel or a move
withdraws claimed rows that are not yet in flight). Plain add_column, no batch mode.

Revision ID: 0009
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cetr_bot.storage.types

revision: str = "0009"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = cetr_bot.storage.types.UTCDateTime


def upgrade() -> None:
    op.add_column("reminders", sa.Column("claimed_by", sa.String(length=32), nullable=True))
    op.add_column("reminders", sa.Column("lease_until", UTC(), nullable=True))
    op.add_column("reminders", sa.Column("in_flight_at", UTC(), nullable=True))


def downgrade() -> None:
    for column in ("in_flight_at", "lease_until", "claimed_by"):
        op.drop_column("reminders", column)
