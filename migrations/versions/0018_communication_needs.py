"""communication needs (the Accessible Information Standard)

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cetr_bot.storage.types

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "communication_needs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("need", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.BigInteger(), nullable=True),
        sa.Column("recorded_by_role", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", cetr_bot.storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_communication_needs_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_communication_needs")),
        sa.UniqueConstraint("person_id", "need", name=op.f("uq_communication_needs_person_id")),
    )
    with op.batch_alter_table("communication_needs") as batch_op:
        batch_op.create_index(batch_op.f("ix_communication_needs_person_id"), ["person_id"])


def downgrade() -> None:
    op.drop_table("communication_needs")
