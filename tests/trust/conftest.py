"""The reminder tests' settings: fast pacing, and no background dispatch job (tests run
one tick at a time with the clock under their control)."""

from tests.reminders.conftest import extra_settings, settings  # noqa: F401
