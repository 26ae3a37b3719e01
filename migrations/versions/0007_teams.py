"""teams: commissioning teams, their coordinators, run-time admins, reviews.team_id

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import cetr_bot.storage.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    teams = op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("created_at", cetr_bot.storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    op.create_table(
        "team_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.BigInteger(), nullable=True),
        sa.Column("added_at", cetr_bot.storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_team_members_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_members")),
        sa.UniqueConstraint(
            "telegram_user_id", "team_id", name=op.f("uq_team_members_telegram_user_id")
        ),
    )
    with op.batch_alter_table("team_members") as batch_op:
        batch_op.create_index(batch_op.f("ix_team_members_telegram_user_id"), ["telegram_user_id"])
        batch_op.create_index(batch_op.f("ix_team_members_team_id"), ["team_id"])
    op.create_table(
        "admins",
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("added_by", sa.BigInteger(), nullable=True),
        sa.Column("added_at", cetr_bot.storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("telegram_user_id", name=op.f("pk_admins")),
    )
    if op.get_bind().dialect.name == "sqlite":
        # Recreating the table (batch mode) would trip the foreign keys that point at it
        # (participants → reviews); SQLite can add a nullable column with its reference.
        op.execute("ALTER TABLE reviews ADD COLUMN team_id INTEGER REFERENCES teams (id)")
    else:
        op.add_column("reviews", sa.Column("team_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_reviews_team_id_teams"), "reviews", "teams", ["team_id"], ["id"]
        )
    op.create_index(op.f("ix_reviews_team_id"), "reviews", ["team_id"])
    _existing_reviews_to_default_team(teams)


def _existing_reviews_to_default_team(teams: sa.Table) -> None:
    """Reviews from before teams belong to the default team (COORDINATOR_IDS)."""
    conn = op.get_bind()
    reviews = sa.table("reviews", sa.column("id"), sa.column("team_id"))
    if conn.execute(sa.select(reviews.c.id).limit(1)).first() is None:
        return
    conn.execute(sa.insert(teams).values(name="default", created_at=datetime.now(UTC)))
    team_id = conn.execute(sa.select(teams.c.id).where(teams.c.name == "default")).scalar_one()
    conn.execute(sa.update(reviews).values(team_id=team_id))


def downgrade() -> None:
    with op.batch_alter_table("reviews") as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviews_team_id"))
        batch_op.drop_constraint(batch_op.f("fk_reviews_team_id_teams"), type_="foreignkey")
        batch_op.drop_column("team_id")
    op.drop_table("admins")
    op.drop_table("team_members")
    op.drop_table("teams")
