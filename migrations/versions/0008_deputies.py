"""deputies stand in for someone, never as them; panel deputies need approval

Adds participants.deputy_for_id (who a deputy stands in for) and approved_at /
approved_by (the coordinator let a panel deputy read the pack). Existing deputies
(attendance rows with alternative "deputy") are marked as deputies for the person
who sent them. A deputy who joined as the young person is thereby flagged: their
consent records stop counting and /review N shows a warning.

Revision ID: 0008
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cetr_bot.storage.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every participant made by a deputy link stands in for the participant who made it.
MARK_DEPUTIES = """
UPDATE participants
SET deputy_for_id = (
    SELECT a.participant_id FROM attendance a
    WHERE a.alternative = 'deputy' AND a.deputy_participant_id = participants.id
)
WHERE deputy_for_id IS NULL AND id IN (
    SELECT a.deputy_participant_id FROM attendance a
    WHERE a.alternative = 'deputy' AND a.deputy_participant_id IS NOT NULL
)
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Recreating the table (batch mode) would trip the foreign keys that point at it;
        # SQLite can add a nullable column with its reference in place.
        op.execute(
            "ALTER TABLE participants ADD COLUMN deputy_for_id INTEGER REFERENCES participants (id)"
        )
    else:
        op.add_column("participants", sa.Column("deputy_for_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_participants_deputy_for_id_participants"),
            "participants",
            "participants",
            ["deputy_for_id"],
            ["id"],
        )
    op.add_column(
        "participants",
        sa.Column("approved_at", cetr_bot.storage.types.UTCDateTime(), nullable=True),
    )
    op.add_column("participants", sa.Column("approved_by", sa.BigInteger(), nullable=True))
    op.execute(MARK_DEPUTIES)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(
            op.f("fk_participants_deputy_for_id_participants"), "participants", type_="foreignkey"
        )
    for column in ("approved_by", "approved_at", "deputy_for_id"):
        op.drop_column("participants", column)
