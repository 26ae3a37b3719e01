"""The panel pack versions that went out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cetr_bot.storage.models import Base
from cetr_bot.storage.types import UTCDateTime, utcnow


class PackVersion(Base):
    """One version of a review's pack, sent to its panel. A later version is made
    only when what the pack says has changed (its fingerprint)."""

    __tablename__ = "pack_versions"
    __table_args__ = (UniqueConstraint("review_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
