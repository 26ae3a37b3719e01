"""The web companion's sign-in links and sessions. Only SHA-256 hashes of the tokens are
stored: a copy of the database signs nobody in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from cetr_bot.storage.models import Base
from cetr_bot.storage.types import UTCDateTime, utcnow


class SignInLink(Base):
    """A single-use link sent by /web; valid for minutes."""

    __tablename__ = "sign_in_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WebSession(Base):
    """A signed-in browser: idle expiry from last_seen_at, and an absolute cap."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    via: Mapped[str] = mapped_column(String(16))  # mini_app | link
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the absolute cap
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
