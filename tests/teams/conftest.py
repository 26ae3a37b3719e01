"""Fixtures for the team tests: an administrator in ADMIN_IDS, fast sending, and no
background dispatch (tests tick the dispatcher themselves)."""

from __future__ import annotations

import pytest

from cetr_bot.config import Settings
from cetr_bot.sandbox import Sandbox
from tests.conftest import make_settings
from tests.reminders.conftest import FAST
from tests.teams.helpers import ADMIN_ID


@pytest.fixture
def settings(database_url: str, sandbox: Sandbox) -> Settings:
    return make_settings(database_url, sandbox, admin_ids=[ADMIN_ID], **FAST)
