"""Tables for the actions agreed at a review and their updates."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Integer, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from cetr_bot.storage.encrypted import EncryptedText
from cetr_bot.storage.models import Base
from cetr_bot.storage.types import UTCDateTime, utcnow


class Action(Base):
    """One action: what, who owns it (a participant of the review), by when."""

    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    owner_participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    what: Mapped[str] = mapped_column(EncryptedText("actions.what"))
    due_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(12), default="open")
    # The owner asked for help or said it is blocked; cleared by the next update or done.
    needs_help: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped on every change, so a button from an older message can be recognised.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ActionUpdate(Base):
    """What happened to an action, in order. Text is the owner's or coordinator's words."""

    __tablename__ = "action_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str | None] = mapped_column(EncryptedText("action_updates.text"))
    by_participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    by_telegram_user_id: Mapped[int | None] = mapped_column(BigInteger)


class DigestPreference(Base):
    """An owner who wants one daily digest at a local time instead of a message per action."""

    __tablename__ = "digest_preferences"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    local_time: Mapped[time] = mapped_column(Time)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ReviewFollowUp(Base):
    """After a review is held: the report and the young person's feedback."""

    __tablename__ = "review_follow_ups"

    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), primary_key=True)
    report_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    report_marked_by: Mapped[int | None] = mapped_column(BigInteger)
