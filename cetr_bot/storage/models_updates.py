"""Telegram updates some process has taken on (webhook mode): one row per update_id,
shared by every process, so a redelivery or the same update reaching two processes is
handled once. Rows older than a day are deleted (Telegram stops redelivering well before)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger
from sqlalchemy.orm import Mapped, mapped_column

from cetr_bot.storage.models import Base
from cetr_bot.storage.types import UTCDateTime, utcnow


class ProcessedUpdate(Base):
    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
