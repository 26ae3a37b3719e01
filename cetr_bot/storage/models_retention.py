"""Retention: legal holds on a review's data, and the anonymised counts kept after the
free text and names are removed (services/retention.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cetr_bot.storage.models import Base
from cetr_bot.storage.types import UTCDateTime, utcnow


class DataHold(Base):
    """A legal hold: while one is not released, retention keeps everything of the review."""

    __tablename__ = "data_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    held_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    held_by: Mapped[int | None] = mapped_column(BigInteger)  # Telegram id; None: the CLI
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_by: Mapped[int | None] = mapped_column(BigInteger)
    release_reason: Mapped[str | None] = mapped_column(Text)


class ReviewCount(Base):
    """How many of a kind a review had when its content was removed (no content)."""

    __tablename__ = "review_counts"

    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
