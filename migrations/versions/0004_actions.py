"""actions, their updates, digest preferences and review follow-ups

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cetr_bot.storage.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = cetr_bot.storage.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("owner_participant_id", sa.Integer(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("needs_help", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.Column("done_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_participant_id"],
            ["participants.id"],
            name=op.f("fk_actions_owner_participant_id_participants"),
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_actions_review_id_reviews")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actions")),
    )
    with op.batch_alter_table("actions") as batch_op:
        batch_op.create_index(batch_op.f("ix_actions_review_id"), ["review_id"])
        batch_op.create_index(
            batch_op.f("ix_actions_owner_participant_id"), ["owner_participant_id"]
        )
        batch_op.create_index(batch_op.f("ix_actions_due_on"), ["due_on"])
    op.create_table(
        "action_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("by_participant_id", sa.Integer(), nullable=True),
        sa.Column("by_telegram_user_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["action_id"], ["actions.id"], name=op.f("fk_action_updates_action_id_actions")
        ),
        sa.ForeignKeyConstraint(
            ["by_participant_id"],
            ["participants.id"],
            name=op.f("fk_action_updates_by_participant_id_participants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_updates")),
    )
    with op.batch_alter_table("action_updates") as batch_op:
        batch_op.create_index(batch_op.f("ix_action_updates_action_id"), ["action_id"])
    op.create_table(
        "digest_preferences",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("local_time", sa.Time(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_digest_preferences_person_id_people")
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_digest_preferences")),
    )
    op.create_table(
        "review_follow_ups",
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("report_sent_at", UTC(), nullable=True),
        sa.Column("report_marked_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_review_follow_ups_review_id_reviews")
        ),
        sa.PrimaryKeyConstraint("review_id", name=op.f("pk_review_follow_ups")),
    )


def downgrade() -> None:
    op.drop_table("review_follow_ups")
    op.drop_table("digest_preferences")
    op.drop_table("action_updates")
    op.drop_table("actions")
