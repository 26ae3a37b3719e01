"""The young person's feedback after their review."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cetr_bot.storage.encrypted import EncryptedJSON, EncryptedText
from cetr_bot.storage.models import Base
from cetr_bot.storage.types import UTCDateTime, utcnow


class FeedbackAnswer(Base):
    """One answer; where the young person is in the questions is derived from these."""

    __tablename__ = "feedback_answers"
    __table_args__ = (UniqueConstraint("participant_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    question_id: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(EncryptedText("feedback_answers.value"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReviewFeedback(Base):
    """What the review found, written for the young person under the four questions."""

    __tablename__ = "review_feedback"

    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), primary_key=True)
    answers: Mapped[dict[str, str]] = mapped_column(
        EncryptedJSON("review_feedback.answers"), default=dict
    )
    written_by: Mapped[int | None] = mapped_column(BigInteger)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
