"""the young person's feedback after their review

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cetr_bot.storage.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("at", cetr_bot.storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_feedback_answers_participant_id_participants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_answers")),
        sa.UniqueConstraint(
            "participant_id", "question_id", name=op.f("uq_feedback_answers_participant_id")
        ),
    )
    with op.batch_alter_table("feedback_answers") as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_answers_participant_id"), ["participant_id"])

    op.create_table(
        "review_feedback",
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("written_by", sa.BigInteger(), nullable=True),
        sa.Column("sent_at", cetr_bot.storage.types.UTCDateTime(), nullable=True),
        sa.Column("updated_at", cetr_bot.storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_review_feedback_review_id_reviews")
        ),
        sa.PrimaryKeyConstraint("review_id", name=op.f("pk_review_feedback")),
    )


def downgrade() -> None:
    op.drop_table("review_feedback")
    op.drop_table("feedback_answers")
