"""Teams (commissioning teams, e.g. an ICB), their coordinators, and administrators.

The team named "default" also holds everyone in COORDINATOR_IDS; a review with no
team (written before teams existed) belongs to it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cetr_bot.storage.encrypted import EncryptedText
from cetr_bot.storage.models import Base
from cetr_bot.storage.types import UTCDateTime, utcnow

DEFAULT_TEAM = "default"


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who a family or young person can contact about the review's actions (the
    # coordinator's words, e.g. a team phone line); free text, so encrypted.
    contact: Mapped[str | None] = mapped_column(EncryptedText("teams.contact"))


class TeamMember(Base):
    """A coordinator of a team; one person may coordinate for several teams."""

    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("telegram_user_id", "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    added_by: Mapped[int | None] = mapped_column(BigInteger)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Admin(Base):
    """An administrator added at run time (besides ADMIN_IDS)."""

    __tablename__ = "admins"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    added_by: Mapped[int | None] = mapped_column(BigInteger)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
