"""Tables for attendance (RSVP) and reminder rows."""

from __future__ import annotations

from cetr_bot.storage.models import Base  # noqa: F401
