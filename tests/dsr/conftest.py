"""The register's tests: the reminder tests' fast pacing and no background dispatch job
(they tick with the clock under their control)."""

from tests.reminders.conftest import extra_settings, settings  # noqa: F401
