"""/healthz, /readyz, /metrics, the middleware (request ids, security headers, body
limit), the webhook settings' checks, and the sandbox's webhook API."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from cetr_bot import cli
from cetr_bot.config import ConfigError, load_settings
from cetr_bot.domain import Role
from cetr_bot.sandbox.errors import ApiError
from cetr_bot.sandbox.params import Params
from tests.helpers import add_review, invite, join
from tests.web.conftest import SECRET


async def test_healthz_readyz_and_headers(web_bot):
    alive = await web_bot.http.get("/healthz")
    assert alive.status_code == 200 and alive.json() == {"alive": True}
    assert alive.headers["X-Content-Type-Options"] == "nosniff"
    assert alive.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'none'" in alive.headers["Content-Security-Policy"]
    assert len(alive.headers["X-Request-Id"]) == 32
    kept = await web_bot.http.get("/healthz", headers={"X-Request-Id": "proxy-id-12345"})
    assert kept.headers["X-Request-Id"] == "proxy-id-12345"
    ready = await web_bot.http.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "schema": "ok", "bot_api": "ok"}
    missing = await web_bot.http.get("/nowhere")
    assert missing.status_code == 404 and missing.headers["X-Frame-Options"] == "DENY"


async def test_readyz_says_why_not(web_bot, svc, sandbox):
    web_bot.ctx.draining = True
    stopping = await web_bot.http.get("/readyz")
    assert stopping.status_code == 503 and stopping.json()["reason"] == "stopping"
    web_bot.ctx.draining = False
    async with svc.db.transaction() as session:
        await session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    behind = await web_bot.http.get("/readyz")
    assert behind.status_code == 503 and "schema not at head" in behind.json()["reason"]
    async with svc.db.transaction() as session:
        await session.execute(text("DROP TABLE alembic_version"))
    gone = await web_bot.http.get("/readyz")
    assert gone.status_code == 503 and gone.json()["reason"] == "schema not migrated"


async def test_readyz_fails_when_the_bot_api_does_not_answer(web_bot, sandbox):
    web_bot.ctx.bot_api_ok_at = -1e9  # forget the cached good getMe
    await sandbox.stop()  # the Bot API is gone
    down = await web_bot.http.get("/readyz")
    assert down.status_code == 503 and down.json()["reason"] == "Bot API unreachable"


async def test_metrics(web_bot, client, svc):
    review_id = await add_review(svc)
    created = await invite(svc, review_id, Role.FAMILY)
    await join(client.user(2001), created.token)
    response = await web_bot.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    body = response.text
    for name in (
        'cetr_updates_total{kind="message",outcome="ok"}',
        'cetr_update_handler_seconds_bucket{kind="message",le="0.1"}',
        "cetr_webhook_duplicates_dropped_total",
        'cetr_webhook_requests_total{result="accepted"}',
        "cetr_telegram_429_total",
        'cetr_reminders{status="pending"}',
        "cetr_reminders_due",
        "cetr_reminders_retrying",
        "cetr_dispatch_lag_seconds",
        "cetr_people_unreachable",
        "cetr_processed_updates_rows 1.0",
    ):
        assert name in body, name
    pending = next(
        ln for ln in body.splitlines() if ln.startswith('cetr_reminders{status="pending"}')
    )
    assert float(pending.split()[-1]) > 0  # joining planned reminders; read from the table


async def test_a_body_over_the_limit_is_refused(web_bot):
    big = b"{" + b" " * (web_bot.ctx.svc.settings.web_max_body_bytes + 10) + b"}"
    response = await web_bot.http.post(
        "/telegram",
        content=big,
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_webhook_needs_a_long_secret(monkeypatch, capsys):
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET must be set"):
        load_settings(_env_file=None, webhook_url="https://bot.example.nhs.uk")
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET") as short:
        load_settings(_env_file=None, webhook_url="https://x.example", webhook_secret="abc123")
    assert "abc123" not in str(short.value)
    with pytest.raises(ConfigError, match="WEBHOOK_URL must start with https://"):
        load_settings(_env_file=None, webhook_url="bot.example", webhook_secret=SECRET)
    ok = load_settings(_env_file=None, webhook_url="https://x.example/", webhook_secret=SECRET)
    assert ok.webhook_url == "https://x.example" and SECRET not in repr(ok)
    # `cetr-bot run` refuses to start, with the reason on one line.
    monkeypatch.setenv("BOT_TOKEN", "123456:" + "A" * 35)
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.nhs.uk")
    monkeypatch.setenv("WEBHOOK_SECRET", "too-short")
    assert cli.main(["run"]) == 2
    err = capsys.readouterr().err
    assert "WEBHOOK_SECRET must be set" in err and "too-short" not in err


async def test_the_sandbox_webhook_api(sandbox):
    bot_id = 123456

    async def call(method: str, **params: object) -> object:
        return await sandbox.api.dispatch(bot_id, method, Params(dict(params)))

    with pytest.raises(ApiError, match="unallowed characters"):
        await call("setWebhook", url="https://bot.example/telegram", secret_token="bad secret!")
    assert await call("setWebhook", url="https://bot.example/telegram", secret_token=SECRET)
    info = await call("getWebhookInfo")
    assert isinstance(info, dict) and info["url"] == "https://bot.example/telegram"
    assert info["max_connections"] == 40
    with pytest.raises(ApiError) as conflict:
        await call("getUpdates", timeout=0)
    assert conflict.value.code == 409 and "webhook is active" in conflict.value.description
    assert await call("deleteWebhook")
    assert await call("getUpdates", timeout=0) == []
    assert (await call("getWebhookInfo"))["url"] == ""  # type: ignore[index]


async def test_the_sandbox_pushes_with_the_secret_and_retries_until_2xx(sandbox, fake_webhook):
    seen = fake_webhook
    await sandbox.api.dispatch(1, "setWebhook", Params({"url": seen.url, "secret_token": SECRET}))
    sandbox.webhook_retry_seconds = 0.02
    seen.answers.extend([500, 502])  # then 200
    sandbox.user_send(2001, "hi")
    while len(seen.requests) < 3:
        await sandbox.pause(0.01)
    assert [r["secret"] for r in seen.requests] == [SECRET] * 3
    assert [r["update_id"] for r in seen.requests] == [1, 1, 1]
    while sandbox.pending_update_count:
        await sandbox.pause(0.01)
    assert [d.status for d in sandbox.deliveries] == [500, 502, 200]
