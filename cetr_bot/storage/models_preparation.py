"""Tables for preparation answers, consent and safeguarding flags."""

from __future__ import annotations

from cetr_bot.storage.models import Base  # noqa: F401
