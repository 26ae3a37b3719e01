"""the young person's questions about their feedback, and the coordinators' answers

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cetr_bot.storage.types

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("reply_to_id", sa.Integer(), nullable=True),
        sa.Column("from_role", sa.String(length=16), nullable=False),
        sa.Column("written_by", sa.BigInteger(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("at", cetr_bot.storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_feedback_questions_review_id_reviews")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_feedback_questions_participant_id_participants"),
        ),
        sa.ForeignKeyConstraint(
            ["reply_to_id"],
            ["feedback_questions.id"],
            name=op.f("fk_feedback_questions_reply_to_id_feedback_questions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_questions")),
    )
    with op.batch_alter_table("feedback_questions") as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_questions_review_id"), ["review_id"])
        batch_op.create_index(
            batch_op.f("ix_feedback_questions_participant_id"), ["participant_id"]
        )


def downgrade() -> None:
    op.drop_table("feedback_questions")
