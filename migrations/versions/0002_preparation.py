"""preparation tables

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cetr_bot.storage.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "review_papers",
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", cetr_bot.storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_review_papers_review_id_reviews")
        ),
        sa.PrimaryKeyConstraint("review_id", name=op.f("pk_review_papers")),
    )
    op.create_table(
        "consent_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("decision", sa.String(length=12), nullable=False),
        sa.Column("basis", sa.String(length=20), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("recorded_by", sa.BigInteger(), nullable=True),
        sa.Column("recorded_by_role", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", cetr_bot.storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_consent_records_participant_id_participants"),
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_consent_records_review_id_reviews")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_records")),
    )
    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consent_records_review_subject", ["review_id", "subject"], unique=False
        )

    op.create_table(
        "prep_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("answered_at", cetr_bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("changed_at", cetr_bot.storage.types.UTCDateTime(), nullable=True),
        sa.Column("changed_after_submit", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_prep_answers_participant_id_participants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prep_answers")),
        sa.UniqueConstraint(
            "participant_id", "question_id", name=op.f("uq_prep_answers_participant_id")
        ),
    )
    with op.batch_alter_table("prep_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_prep_answers_participant_id"), ["participant_id"], unique=False
        )

    op.create_table(
        "prep_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("question_id", sa.String(length=40), nullable=True),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("raised_by", sa.BigInteger(), nullable=True),
        sa.Column("raised_at", cetr_bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("alerted_at", cetr_bot.storage.types.UTCDateTime(), nullable=True),
        sa.Column("alerts_sent", sa.Integer(), nullable=False),
        sa.Column("alerts_failed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_prep_flags_participant_id_participants"),
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_prep_flags_review_id_reviews")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prep_flags")),
    )
    with op.batch_alter_table("prep_flags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prep_flags_review_id"), ["review_id"], unique=False)

    op.create_table(
        "prep_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("editing_question_id", sa.String(length=40), nullable=True),
        sa.Column("started_at", cetr_bot.storage.types.UTCDateTime(), nullable=True),
        sa.Column("submitted_at", cetr_bot.storage.types.UTCDateTime(), nullable=True),
        sa.Column("changed_after_submit_at", cetr_bot.storage.types.UTCDateTime(), nullable=True),
        sa.Column("updated_at", cetr_bot.storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_prep_progress_participant_id_participants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prep_progress")),
        sa.UniqueConstraint("participant_id", name=op.f("uq_prep_progress_participant_id")),
    )


def downgrade() -> None:
    op.drop_table("prep_progress")
    with op.batch_alter_table("prep_flags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prep_flags_review_id"))

    op.drop_table("prep_flags")
    with op.batch_alter_table("prep_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prep_answers_participant_id"))

    op.drop_table("prep_answers")
    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.drop_index("ix_consent_records_review_subject")

    op.drop_table("consent_records")
    op.drop_table("review_papers")
