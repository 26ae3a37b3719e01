"""The ORM models. Times are UTC (see UTCDateTime); dates are plain calendar dates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from cetr_bot.storage.encrypted import EncryptedJSON, EncryptedText
from cetr_bot.storage.types import UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class YoungPerson(Base):
    """Known only by a pseudonymous reference the coordinator chooses."""

    __tablename__ = "young_people"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(40), unique=True)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    setting: Mapped[str] = mapped_column(String(16))
    admitted_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    reviews: Mapped[list[Review]] = relationship(back_populates="young_person")


class Review(Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), index=True)
    type: Mapped[str] = mapped_column(String(20))
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    location: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="scheduled")
    # Bumped on every change of time or status: the calendar SEQUENCE.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    held_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    # The team whose coordinators see it (models_teams.Team); None: the default team.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # When it closed: its report was marked sent, or it was cancelled (retention counts
    # from here); when retention removed its free text and names (models_retention).
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    data_removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    young_person: Mapped[YoungPerson] = relationship(back_populates="reviews")
    participants: Mapped[list[Participant]] = relationship(
        back_populates="review", order_by="Participant.id"
    )


class Person(Base):
    """A Telegram user who has joined at least one review."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    preferred_name: Mapped[str | None] = mapped_column(EncryptedText("people.preferred_name"))
    language: Mapped[str] = mapped_column(String(8), default="en")
    unreachable_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    participations: Mapped[list[Participant]] = relationship(back_populates="person")


class Participant(Base):
    """One person's role in one review. The person is unknown until they join."""

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A deputy (from a "send someone in my place" link) stands in for this participant:
    # never their consent, feedback or answers; for a panel role, no pack until approved.
    deputy_for_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[int | None] = mapped_column(BigInteger)

    review: Mapped[Review] = relationship(back_populates="participants")
    person: Mapped[Person | None] = relationship(back_populates="participations")
    invitations: Mapped[list[Invitation]] = relationship(back_populates="participant")


class Invitation(Base):
    """A single-use deep-link token; only its SHA-256 hash is stored."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    participant: Mapped[Participant] = relationship(back_populates="invitations")


class StartAttempt(Base):
    """A failed /start with a token: used to throttle guessing."""

    __tablename__ = "start_attempts"
    __table_args__ = (Index("ix_start_attempts_user_at", "telegram_user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PendingInput(Base):
    """What the bot is waiting for from a user in a guided flow.

    Kept in the database, not in memory, so a restart or a second process
    carries on where the user was.
    """

    __tablename__ = "pending_inputs"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("pending_inputs.data"), default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AuditEvent(Base):
    """Every view of personal data and every change. Ids only, never the content.

    Append-only: the application only inserts; triggers (migration 0013) refuse UPDATE
    and DELETE on PostgreSQL and SQLite alike.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    # Who: the actor's Telegram id (None: the operator or the system) and in what capacity.
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_role: Mapped[str | None] = mapped_column(String(32))
    # Whose data or which review.
    review_id: Mapped[int | None] = mapped_column(Integer, index=True)
    person_id: Mapped[int | None] = mapped_column(Integer, index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
