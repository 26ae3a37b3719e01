"""Every reminder kind has a label: /review N and the review page name a failed or
late delivery by it (a missing one used to fail the whole page)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from cetr_bot.domain import ReminderKind

MESSAGES = Path(__file__).resolve().parents[2] / "messages"


def test_every_reminder_kind_has_a_label() -> None:
    labels = tomllib.loads((MESSAGES / "labels.toml").read_text(encoding="utf-8"))
    assert [k.value for k in ReminderKind if k.value not in labels["reminder_kinds"]] == []
