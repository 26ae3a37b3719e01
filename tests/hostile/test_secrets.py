"""No secret in any log: the token is redacted wherever it appears, and hidden by Settings."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest

from cetr_bot import logging_setup
from cetr_bot.cli import main
from cetr_bot.config import ConfigError, Settings, load_settings
from cetr_bot.domain import Role
from cetr_bot.sandbox import Sandbox
from tests.conftest import make_settings
from tests.helpers import add_review, invite, join
from tests.reminders.conftest import FAST
from tests.reminders.helpers import tick

# Shaped like a real token (the sandbox accepts any <digits>:<characters>).
TOKEN = "7012345678:AAE" + "x_Y-z0" * 6


@pytest.fixture
def settings(database_url: str, sandbox: Sandbox) -> Settings:
    return make_settings(database_url, sandbox, bot_token=TOKEN, **FAST)


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """DEBUG everywhere, the HTTP libraries too, with the redaction the programs install."""
    noisy = {name: logging.getLogger(name).level for name in ("httpx", "httpcore", "aiohttp")}
    caplog.set_level(logging.DEBUG)
    for name in noisy:
        logging.getLogger(name).setLevel(logging.DEBUG)
    logging_setup.install_redaction()
    yield caplog
    for name, level in noisy.items():
        logging.getLogger(name).setLevel(level)


async def test_the_token_is_in_no_log_line(everything_logged, sandbox, bot, client, svc, clock):
    review_id = await add_review(svc)
    created = await invite(svc, review_id, Role.SOCIAL_WORKER)
    user = client.user(2001)
    await join(user, created.token)
    await user.ask("/help")
    await user.ask("/attend")
    report = await tick(svc, bot, at=clock() + timedelta(days=7, hours=1))
    assert report.sent >= 1  # the 14-day reminder went out through the Bot API
    logged = everything_logged
    assert any(r.name.startswith("httpx") for r in logged.records), "httpx said nothing"
    assert logging_setup.REDACTED in logged.text  # the URLs were logged, with the token hidden
    assert TOKEN not in logged.text
    assert all(TOKEN not in r.getMessage() for r in logged.records)
    assert TOKEN.split(":")[1] not in logged.text


def test_the_filter_redacts_message_args_and_exceptions(caplog):
    caplog.set_level(logging.DEBUG)
    logging_setup.install_redaction()
    log = logging.getLogger("cetr_bot.test")
    log.info("calling https://api.telegram.org/bot%s/getMe", TOKEN)
    log.info(f"inline {TOKEN} and a number %d", 7)
    log.info("mapping %(url)s", {"url": f"/bot{TOKEN}/x"})
    try:
        raise RuntimeError(f"request to /bot{TOKEN}/sendMessage failed")
    except RuntimeError:
        log.warning("it failed", exc_info=True)
    log.info("with a stack", stack_info=True, extra={"token": TOKEN})
    assert TOKEN not in caplog.text
    assert caplog.text.count(logging_setup.REDACTED) >= 4
    assert "a number 7" in caplog.text
    assert "RuntimeError: request to /bot<redacted-token>/sendMessage failed" in caplog.text


def test_configure_turns_http_request_logging_down():
    saved = {name: logging.getLogger(name).level for name in logging_setup.QUIET_LOGGERS}
    try:
        logging_setup.configure(logging.DEBUG)
        for name in logging_setup.QUIET_LOGGERS:
            assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING
        root_handlers = logging.getLogger().handlers
        assert root_handlers
        assert all(
            any(isinstance(f, logging_setup.RedactTokens) for f in h.filters) for h in root_handlers
        )
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def test_settings_never_show_the_token(monkeypatch):
    settings = Settings(_env_file=None, bot_token=TOKEN)  # type: ignore[call-arg]
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)
    assert TOKEN not in repr(settings.model_dump())
    assert settings.bot_token is not None and settings.bot_token.get_secret_value() == TOKEN
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SEND_MAX_ATTEMPTS", "not a number")
    with pytest.raises(ConfigError) as raised:
        load_settings(_env_file=None)
    assert TOKEN not in str(raised.value)


def test_help_never_shows_the_token(monkeypatch, capsys):
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    with pytest.raises(SystemExit):
        main(["--help"])
    assert TOKEN not in capsys.readouterr().out
