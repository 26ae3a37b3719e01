"""The Dynamic Support Register: entries, their admissions, every change, and the
reviews and emergency meetings held elsewhere.

An entry belongs to one young person (young_people: the reference, date of birth,
setting and admission live there, shared with their reviews) and one team.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cetr_bot.storage.encrypted import EncryptedText
from cetr_bot.storage.models import Base
from cetr_bot.storage.types import UTCDateTime, utcnow


class DsrEntry(Base):
    __tablename__ = "dsr_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), unique=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    basis: Mapped[str] = mapped_column(String(16))  # consent | best-interests
    rag: Mapped[str] = mapped_column(String(8))
    rag_reason: Mapped[str | None] = mapped_column(EncryptedText("dsr_entries.rag_reason"))
    rated_on: Mapped[date] = mapped_column(Date)
    key_worker: Mapped[str | None] = mapped_column(EncryptedText("dsr_entries.key_worker"))
    # When the rating must be looked at again (None: blue, at the next inpatient CETR).
    rating_review_on: Mapped[date | None] = mapped_column(Date)
    # Red or amber: a community CETR is due by cetr_due_on, chased until settled.
    cetr_flagged_on: Mapped[date | None] = mapped_column(Date)
    cetr_due_on: Mapped[date | None] = mapped_column(Date)
    cetr_settled: Mapped[str | None] = mapped_column(String(12))  # CetrSettled
    cetr_settled_reason: Mapped[str | None] = mapped_column(
        EncryptedText("dsr_entries.cetr_settled_reason")
    )
    out_of_area: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped on every change: older buttons become stale.
    version: Mapped[int] = mapped_column(Integer, default=0)
    # Off the register (a DsrLeft code): retention clears the free text RETENTION_MONTHS
    # after left_on (unless a review of theirs is on legal hold); back on: both None.
    left_on: Mapped[date | None] = mapped_column(Date)
    left_why: Mapped[str | None] = mapped_column(String(20))
    data_removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DsrAdmission(Base):
    """One stay in hospital, marked for reporting: was there a community CETR (or an
    emergency meeting) before it?"""

    __tablename__ = "dsr_admissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("dsr_entries.id"), index=True)
    admitted_on: Mapped[date] = mapped_column(Date)
    discharged_on: Mapped[date | None] = mapped_column(Date)
    out_of_area: Mapped[bool] = mapped_column(Boolean, default=False)
    with_community_cetr: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DsrChange(Base):
    """Who changed what, when and why (the reason is the coordinator's text)."""

    __tablename__ = "dsr_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("dsr_entries.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[int | None] = mapped_column(BigInteger)  # Telegram id; None: the command line
    what: Mapped[str] = mapped_column(String(16))  # added, rated, admitted, discharged...
    old: Mapped[str | None] = mapped_column(String(16))
    new: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(EncryptedText("dsr_changes.reason"))


class RecordedReview(Base):
    """A CETR or LAEP meeting held outside the bot: type, date, outcome."""

    __tablename__ = "recorded_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), index=True)
    type: Mapped[str] = mapped_column(String(20))  # RecordedType
    held_on: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(EncryptedText("recorded_reviews.outcome"))
    recorded_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
