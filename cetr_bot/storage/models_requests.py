"""Requests about a person's own data: a copy (/mydata, subject access) or erasure
(/forgetme). Ids and times only; the coordinator approves, then it is carried out
(services/subject_access.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from cetr_bot.storage.models import Base
from cetr_bot.storage.types import UTCDateTime, utcnow


class DataRequest(Base):
    __tablename__ = "data_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # export | erase
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # pending → approved (then done_at) | declined | refused (e.g. a legal hold)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(BigInteger)  # the coordinator's Telegram id
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
