"""audit trail that is read and append-only; retention with legal holds

Adds audit_events.actor_role / person_id (indexed with review_id), triggers that refuse
UPDATE and DELETE on audit_events (PostgreSQL: a plpgsql function, also refusing
TRUNCATE; SQLite: RAISE(ABORT)), reviews.closed_at (backfilled: report sent, or the
last change of a cancelled review) and data_removed_at, data_holds and review_counts.

Note for later migrations: on SQLite a batch_alter_table that recreates audit_events
drops its triggers; create them again (APPEND_ONLY_SQLITE) after such a change.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cetr_bot.storage.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_PG = [
    """
    CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER audit_events_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()
    """,
    """
    CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()
    """,
]
APPEND_ONLY_SQLITE = [
    """
    CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused'); END
    """,
    """
    CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused'); END
    """,
]

BACKFILL_CLOSED = [
    """
    UPDATE reviews SET closed_at = (
        SELECT f.report_sent_at FROM review_follow_ups f WHERE f.review_id = reviews.id
    )
    WHERE status = 'held' AND closed_at IS NULL
    """,
    "UPDATE reviews SET closed_at = updated_at WHERE status = 'cancelled' AND closed_at IS NULL",
]


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor_role", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_events_review_id"), ["review_id"])
        batch_op.create_index(batch_op.f("ix_audit_events_person_id"), ["person_id"])
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("closed_at", cetr_bot.storage.types.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("data_removed_at", cetr_bot.storage.types.UTCDateTime(), nullable=True)
        )
    op.create_table(
        "data_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("held_at", cetr_bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("held_by", sa.BigInteger(), nullable=True),
        sa.Column("released_at", cetr_bot.storage.types.UTCDateTime(), nullable=True),
        sa.Column("released_by", sa.BigInteger(), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_data_holds_review_id_reviews")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_holds")),
    )
    op.create_index(op.f("ix_data_holds_review_id"), "data_holds", ["review_id"], unique=False)
    op.create_table(
        "review_counts",
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_review_counts_review_id_reviews")
        ),
        sa.PrimaryKeyConstraint("review_id", "kind", name=op.f("pk_review_counts")),
    )
    for statement in BACKFILL_CLOSED:
        op.execute(statement)
    dialect = op.get_bind().dialect.name
    for statement in APPEND_ONLY_PG if dialect == "postgresql" else APPEND_ONLY_SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update_delete ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    op.drop_table("review_counts")
    op.drop_index(op.f("ix_data_holds_review_id"), table_name="data_holds")
    op.drop_table("data_holds")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_column("data_removed_at")
        batch_op.drop_column("closed_at")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_person_id"))
        batch_op.drop_index(batch_op.f("ix_audit_events_review_id"))
        batch_op.drop_column("person_id")
        batch_op.drop_column("actor_role")
