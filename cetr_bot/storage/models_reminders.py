"""Tables for attendance (RSVP) and reminder rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cetr_bot.domain import ReminderStatus
from cetr_bot.storage.encrypted import EncryptedJSON
from cetr_bot.storage.models import Base
from cetr_bot.storage.types import UTCDateTime, utcnow


class Attendance(Base):
    """One participant's answer: in person, by video or can't attend (changeable)."""

    __tablename__ = "attendance"

    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    # When they can't attend: "deputy" (sent someone) or "written" (written information).
    alternative: Mapped[str | None] = mapped_column(String(12))
    deputy_participant_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reminder(Base):
    """One message the bot means to send. The database is the source of truth:
    the planner adds, moves and cancels pending rows; the dispatcher claims due
    ones (pending → sending), checks each again just before it goes (in flight), sends
    it and marks it sent, failed, skipped or uncertain."""

    __tablename__ = "reminders"
    __table_args__ = (
        # The dispatcher's only hot query: due pending rows, oldest first.
        Index("ix_reminders_status_send_after", "status", "send_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What it is for, unique: e.g. "review_2d:r4:s1:p9". A second planner run or a
    # second process can never add the same reminder twice.
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"), index=True)
    young_person_id: Mapped[int | None] = mapped_column(ForeignKey("young_people.id"), index=True)
    participant_id: Mapped[int | None] = mapped_column(Integer)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # as planned (quiet hours applied)
    send_after: Mapped[datetime] = mapped_column(UTCDateTime)  # due_at, or later after a retry
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Which dispatcher holds the claim, and until when: a live one renews the lease
    # (heartbeat); rows of a dead one are put back once it has run out.
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set in the same transaction that re-read what the row depends on and composed
    # its text, just before the send: from then on a cancel or move cannot withdraw it.
    in_flight_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(
        EncryptedJSON("reminders.payload"), default=dict
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @classmethod
    def due_now(
        cls,
        now: datetime,
        *,
        key: str,
        kind: str,
        chat_id: int,
        payload: dict[str, Any],
        **ids: Any,
    ) -> Reminder:
        """A message to send as soon as it can go (a notice, an answer, an alert to the
        administrators): pending from `now`; its unique `key` makes it happen once.
        `ids`: review_id, participant_id, person_id where it has them."""
        return cls(
            key=key,
            kind=kind,
            chat_id=chat_id,
            due_at=now,
            send_after=now,
            status=ReminderStatus.PENDING,
            attempts=0,
            payload=payload,
            **ids,
        )
