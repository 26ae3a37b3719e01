"""Fixtures for the reminder tests: fast pacing unless a test asks for the real one,
and no background dispatch job unless a test asks for it (tests call one tick
directly, with the clock under their control)."""

from __future__ import annotations

import pytest

from cetr_bot.config import Settings
from cetr_bot.sandbox import Sandbox
from tests.conftest import make_settings

FAST = {
    "send_rate_per_second": 1000.0,
    "send_chat_interval_seconds": 0.0,
    "dispatch_interval_seconds": 3600.0,
    # No lease-watch job firing mid-test (tests that need leases set their own).
    "dispatch_claim_lease_seconds": 3600.0,
}


@pytest.fixture
def extra_settings() -> dict[str, object]:
    return {}


@pytest.fixture
def settings(database_url: str, sandbox: Sandbox, extra_settings: dict[str, object]) -> Settings:
    return make_settings(database_url, sandbox, **{**FAST, **extra_settings})
