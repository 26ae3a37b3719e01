"""Tables for preparation answers, consent and safeguarding flags.

A participant's place in their questions is never stored as a pointer: it is
worked out from the answers below, so a restart or a second process carries on
at the right question. The only positional fact kept is which answer they asked
to change (`editing_question_id`), because that is a choice, not a consequence.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cetr_bot.storage.encrypted import EncryptedText
from cetr_bot.storage.models import Base
from cetr_bot.storage.types import UTCDateTime, utcnow


class PrepProgress(Base):
    """One participant's walk-through: started, paused, submitted."""

    __tablename__ = "prep_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), unique=True)
    # Whether typed messages are answers: false after "stop for now" until /prepare.
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    editing_question_id: Mapped[str | None] = mapped_column(String(40))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    changed_after_submit_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PrepAnswer(Base):
    """One answer; `kind` says how to read `value` (an option, text, a date, a voice file id)."""

    __tablename__ = "prep_answers"
    __table_args__ = (UniqueConstraint("participant_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    question_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(12))
    value: Mapped[str] = mapped_column(EncryptedText("prep_answers.value"))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    changed_after_submit: Mapped[bool] = mapped_column(Boolean, default=False)


class ConsentRecord(Base):
    """Append-only: the latest row per review and subject is the decision in force."""

    __tablename__ = "consent_records"
    __table_args__ = (Index("ix_consent_records_review_subject", "review_id", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"))
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    subject: Mapped[str] = mapped_column(String(20))  # share | family
    decision: Mapped[str] = mapped_column(String(12))  # yes | no | not_sure
    basis: Mapped[str] = mapped_column(String(20))  # young_person | best_interests
    method: Mapped[str] = mapped_column(String(20))  # how it was recorded
    recorded_by: Mapped[int | None] = mapped_column(BigInteger)  # Telegram user id
    recorded_by_role: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(EncryptedText("consent_records.note"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PrepFlag(Base):
    """A safeguarding event or a rights concern, with when it was raised and alerted."""

    __tablename__ = "prep_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    kind: Mapped[str] = mapped_column(String(20))  # safeguarding | rights
    source: Mapped[str] = mapped_column(String(20))  # answer | keyword | concern
    question_id: Mapped[str | None] = mapped_column(String(40))
    category: Mapped[str | None] = mapped_column(String(40))
    # A concern in the person's own words.
    text: Mapped[str | None] = mapped_column(EncryptedText("prep_flags.text"))
    raised_by: Mapped[int | None] = mapped_column(BigInteger)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    alerts_sent: Mapped[int] = mapped_column(Integer, default=0)
    alerts_failed: Mapped[int] = mapped_column(Integer, default=0)


class ReviewPapers(Base):
    """When the panel papers went out; answers can change until then.

    Nothing sets `sent_at` yet: the panel pack capability will (see
    services.preparation.mark_papers_sent). No row means not sent.
    """

    __tablename__ = "review_papers"

    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), primary_key=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
