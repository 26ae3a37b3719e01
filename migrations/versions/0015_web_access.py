"""sign_in_links and web_sessions: the web companion's sign-in (tokens stored hashed)

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cetr_bot.storage.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", cetr_bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", cetr_bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("used_at", cetr_bot.storage.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sign_in_links_token_hash")),
    )
    op.create_index(
        op.f("ix_sign_in_links_telegram_user_id"), "sign_in_links", ["telegram_user_id"]
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("created_at", cetr_bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", cetr_bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", cetr_bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("ended_at", cetr_bot.storage.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("session_hash", name=op.f("uq_web_sessions_session_hash")),
    )
    op.create_index(op.f("ix_web_sessions_telegram_user_id"), "web_sessions", ["telegram_user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_web_sessions_telegram_user_id"), table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_index(op.f("ix_sign_in_links_telegram_user_id"), table_name="sign_in_links")
    op.drop_table("sign_in_links")
