"""the Dynamic Support Register: entries, admissions, changes, reviews held elsewhere

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cetr_bot.storage.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dsr_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("young_person_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("rag", sa.String(length=8), nullable=False),
        sa.Column("rag_reason", sa.Text(), nullable=True),
        sa.Column("rated_on", sa.Date(), nullable=False),
        sa.Column("key_worker", sa.String(length=80), nullable=True),
        sa.Column("rating_review_on", sa.Date(), nullable=True),
        sa.Column("cetr_flagged_on", sa.Date(), nullable=True),
        sa.Column("cetr_due_on", sa.Date(), nullable=True),
        sa.Column("cetr_settled", sa.String(length=12), nullable=True),
        sa.Column("cetr_settled_reason", sa.Text(), nullable=True),
        sa.Column("out_of_area", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", cetr_bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", cetr_bot.storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_dsr_entries_team_id_teams")
        ),
        sa.ForeignKeyConstraint(
            ["young_person_id"],
            ["young_people.id"],
            name=op.f("fk_dsr_entries_young_person_id_young_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dsr_entries")),
        sa.UniqueConstraint("young_person_id", name=op.f("uq_dsr_entries_young_person_id")),
    )
    op.create_index(op.f("ix_dsr_entries_team_id"), "dsr_entries", ["team_id"], unique=False)
    op.create_table(
        "dsr_admissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("admitted_on", sa.Date(), nullable=False),
        sa.Column("discharged_on", sa.Date(), nullable=True),
        sa.Column("out_of_area", sa.Boolean(), nullable=False),
        sa.Column("with_community_cetr", sa.Boolean(), nullable=False),
        sa.Column("created_at", cetr_bot.storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["dsr_entries.id"], name=op.f("fk_dsr_admissions_entry_id_dsr_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dsr_admissions")),
    )
    op.create_index(
        op.f("ix_dsr_admissions_entry_id"), "dsr_admissions", ["entry_id"], unique=False
    )
    op.create_table(
        "dsr_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("at", cetr_bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("by", sa.BigInteger(), nullable=True),
        sa.Column("what", sa.String(length=16), nullable=False),
        sa.Column("old", sa.String(length=16), nullable=True),
        sa.Column("new", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["dsr_entries.id"], name=op.f("fk_dsr_changes_entry_id_dsr_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dsr_changes")),
    )
    op.create_index(op.f("ix_dsr_changes_entry_id"), "dsr_changes", ["entry_id"], unique=False)
    op.create_table(
        "recorded_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("young_person_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", cetr_bot.storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["young_person_id"],
            ["young_people.id"],
            name=op.f("fk_recorded_reviews_young_person_id_young_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recorded_reviews")),
    )
    op.create_index(
        op.f("ix_recorded_reviews_young_person_id"),
        "recorded_reviews",
        ["young_person_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_recorded_reviews_young_person_id"), table_name="recorded_reviews")
    op.drop_table("recorded_reviews")
    op.drop_index(op.f("ix_dsr_changes_entry_id"), table_name="dsr_changes")
    op.drop_table("dsr_changes")
    op.drop_index(op.f("ix_dsr_admissions_entry_id"), table_name="dsr_admissions")
    op.drop_table("dsr_admissions")
    op.drop_index(op.f("ix_dsr_entries_team_id"), table_name="dsr_entries")
    op.drop_table("dsr_entries")
