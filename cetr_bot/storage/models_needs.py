"""The young person's questions about their feedback and the coordinators' answers, and
each person's communication needs (the Accessible Information Standard)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cetr_bot.storage.encrypted import EncryptedText
from cetr_bot.storage.models import Base
from cetr_bot.storage.types import UTCDateTime, utcnow


class FeedbackQuestion(Base):
    """One message of a young person's thread about their feedback: a question (no
    `reply_to_id`) or a coordinator's answer to one."""

    __tablename__ = "feedback_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    # The young person's place in that review (the thread is theirs).
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_questions.id"))
    from_role: Mapped[str] = mapped_column(String(16))  # young_person | coordinator
    written_by: Mapped[int | None] = mapped_column(BigInteger)  # the writer's Telegram id
    body: Mapped[str] = mapped_column(EncryptedText("feedback_questions.body"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CommunicationNeed(Base):
    """One need of one person (domain.Need), with its words where it has some."""

    __tablename__ = "communication_needs"
    __table_args__ = (UniqueConstraint("person_id", "need"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    need: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(EncryptedText("communication_needs.detail"))
    # Who recorded it: the person themselves, or a coordinator (their Telegram id; None:
    # the operator at the command line).
    recorded_by: Mapped[int | None] = mapped_column(BigInteger)
    recorded_by_role: Mapped[str] = mapped_column(String(16), default="self")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
