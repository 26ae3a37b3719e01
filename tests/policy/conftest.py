"""The delivery policy's tests: the reminder tests' fast settings (one dispatcher tick at a
time, clock under control), with or without a web companion (`extra_settings`)."""

from tests.reminders.conftest import extra_settings, settings  # noqa: F401
