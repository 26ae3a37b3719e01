"""Settings from the environment or a `.env` file (pydantic-settings)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import time
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_API_URL = "https://api.telegram.org"
WEBHOOK_SECRET_MIN = 32
# What Telegram accepts as a secret_token.
WEBHOOK_SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")


class ConfigError(Exception):
    """Raised with one clear line when the configuration cannot be used."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # A secret: repr, errors and logs show it as '**********' (get_secret_value() to use it).
    bot_token: SecretStr | None = None
    bot_username: str | None = None
    database_url: str = "sqlite+aiosqlite:///./cetr.db"
    timezone: str = "Europe/London"
    coordinator_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    # Administrators manage teams and coordinators; they see no review by that alone.
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    telegram_api_url: str = DEFAULT_API_URL

    # Policy timings (defaults from DOMAIN.md).
    post_admission_due_days: int = Field(14, ge=1, le=60)
    inpatient_interval_months: int = Field(3, ge=1, le=12)
    invitation_expiry_days: int = Field(30, ge=1, le=365)
    invitation_lead_days: int = Field(14, ge=0, le=90)
    transitions_age: int = Field(14, ge=0, le=18)
    adult_age: int = Field(18, ge=16, le=25)
    bad_token_limit: int = Field(5, ge=1, le=100)
    bad_token_window_minutes: int = Field(15, ge=1, le=1440)
    # Wrong links from everyone together in that window before all redemption pauses.
    bad_token_global_limit: int = Field(50, ge=1, le=100_000)
    quiet_hours_start: time = time(20, 0)
    quiet_hours_end: time = time(8, 0)

    # --- encryption at rest (storage/encrypted.py, storage/keys.py) ---
    # production: `run` and the worker refuse to start without DATA_ENCRYPTION_KEYS.
    environment: Literal["development", "production"] = "development"
    # "id:base64key,id:base64key", newest first: writes use the first, reads any.
    # A secret: never printed or logged (`cetr-bot keys generate` makes one).
    data_encryption_keys: SecretStr | None = None
    # Development without DATA_ENCRYPTION_KEYS: the key lives here (made on first use, 0600).
    data_key_file: Path = Path(".cetr-bot/data.key")

    # --- preparation settings (add below; keep each edit small) ---

    # --- reminder and attendance settings (add below; keep each edit small) ---
    # Day-based reminders go out at reminder_time local; the "morning of" one at morning_time.
    reminder_time: time = time(9, 0)
    morning_reminder_time: time = time(8, 0)
    review_reminder_days: list[int] = Field(default_factory=lambda: [14, 2])
    rsvp_nudge_days: list[int] = Field(default_factory=lambda: [7, 2])
    preparation_nudge_days: list[int] = Field(default_factory=lambda: [7, 2])
    coordinator_summary_days: list[int] = Field(default_factory=lambda: [7, 2])
    # Someone in the review needs an interpreter: remind the coordinators to book one.
    interpreter_reminder_days: list[int] = Field(default_factory=lambda: [7, 1])
    book_ahead_weeks: int = Field(4, ge=0, le=26)
    review_duration_minutes: int = Field(120, ge=15, le=600)
    calendar_domain: str = "cetr-bot.invalid"
    # The ORGANIZER of calendar files: the coordinators' team address (mailto:...); unset,
    # a neutral address at calendar_domain. Never a person's name.
    calendar_organizer: str | None = None
    # Delivery: pace under Telegram's ~30/s overall and 1/s per chat, with a margin.
    send_rate_per_second: float = Field(28.0, gt=0, le=1000)
    send_chat_interval_seconds: float = Field(1.1, ge=0, le=60)
    send_max_attempts: int = Field(5, ge=1, le=50)
    send_backoff_seconds: float = Field(30.0, ge=0, le=3600)
    send_backoff_cap_seconds: float = Field(900.0, ge=0, le=86400)
    dispatch_interval_seconds: float = Field(30.0, gt=0, le=3600)
    dispatch_batch_size: int = Field(200, ge=1, le=5000)
    # Renewed by a heartbeat every quarter of it: a dead dispatcher's rows go back
    # within about 1.25 leases. The read timeout is long enough for a slow Bot API.
    dispatch_claim_lease_seconds: float = Field(10.0, gt=0, le=86400)
    send_read_timeout_seconds: float = Field(30.0, gt=0, le=600)

    # --- action settings (add below; keep each edit small) ---
    action_reminder_days: list[int] = Field(default_factory=lambda: [7, 0])
    action_chase_every_days: int = Field(3, ge=1, le=30)
    action_max_chases: int = Field(6, ge=0, le=30)
    action_escalate_after_days: int = Field(3, ge=1, le=60)
    feedback_ask_after_days: int = Field(1, ge=0, le=7)
    report_due_days: int = Field(14, ge=1, le=60)
    report_reminder_days: list[int] = Field(default_factory=lambda: [10, 14])
    pack_hours_before: int = Field(24, ge=1, le=240)

    # --- Dynamic Support Register settings (NHS England 2023 DSR policy defaults) ---
    dsr_red_review_days: int = Field(7, ge=1, le=90)
    dsr_amber_review_months: int = Field(1, ge=1, le=12)
    dsr_green_review_months: int = Field(3, ge=1, le=24)
    dsr_red_cetr_working_days: int = Field(10, ge=1, le=60)
    dsr_amber_cetr_days: int = Field(28, ge=1, le=120)
    dsr_cetr_chase_every_days: int = Field(3, ge=1, le=30)
    dsr_cetr_max_chases: int = Field(6, ge=0, le=30)
    dsr_pre_admission_window_months: int = Field(6, ge=1, le=24)
    dsr_out_of_area_visit_weeks: int = Field(6, ge=1, le=26)
    dsr_discharge_review_days: int = Field(14, ge=1, le=90)
    dsr_adult_warning_months: int = Field(6, ge=1, le=24)
    dsr_admissions_standard_percent: int = Field(90, ge=0, le=100)

    # --- production settings (web server, webhook, logs) ---
    # The one web server of the process: webhook, /healthz, /readyz, /metrics.
    web_host: str = "127.0.0.1"
    web_port: int = Field(8080, ge=0, le=65535)
    web_max_body_bytes: int = Field(1_048_576, ge=1024, le=64 * 1024 * 1024)
    # The public https base; set, `run` takes updates by webhook at WEBHOOK_URL/telegram.
    webhook_url: str | None = None
    # Sent back by Telegram in X-Telegram-Bot-Api-Secret-Token; required with WEBHOOK_URL.
    webhook_secret: SecretStr | None = None
    # How long a handled update's id is kept to drop redeliveries (hours).
    processed_update_retention_hours: float = Field(24.0, gt=0, le=24 * 30)
    log_format: Literal["text", "json"] = "text"
    # The web companion's public https base (pages, Mini Apps, sign-in links). Set, sensitive
    # content is shown there and chats get discreet links; unset, documents are sent protected.
    web_base_url: str | None = None
    webapp_max_age_seconds: int = Field(3600, ge=60, le=86400)
    web_session_idle_minutes: int = Field(30, ge=5, le=24 * 60)

    # --- production settings (add below; keep each edit small) ---
    # Send pacing across processes: "auto" shares one limiter between every process on a
    # PostgreSQL database (in Redis when REDIS_URL is set, else in PostgreSQL) and paces in
    # memory on SQLite (one process); "local" always paces in memory (one process only).
    send_pacing: Literal["auto", "local", "shared"] = "auto"
    redis_url: SecretStr | None = None  # may carry a password
    # Bring the schema up to date when `run` or the worker starts. False in production:
    # `cetr-bot db upgrade` runs once (the migrate service), and the bot refuses to start
    # on a schema that is not at head.
    auto_migrate: bool = True

    # --- information governance (issue 14) ---
    # Free text and names are removed this long after a review is closed.
    retention_months: int = Field(12, ge=1, le=240)
    # Local time of the daily retention run.
    retention_run_time: time = time(3, 0)

    @field_validator("coordinator_ids", "admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in value.replace(";", ",").replace(" ", ",").split(",") if p]
            try:
                return [int(p) for p in parts]
            except ValueError as exc:
                raise ValueError("must be Telegram user ids (numbers)") from exc
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        # Accept the plain URLs people copy from elsewhere; we always talk async.
        if value.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + value.removeprefix("sqlite:///")
        for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
            if value.startswith(prefix):
                return "postgresql+asyncpg://" + value.removeprefix(prefix)
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("DATABASE_URL must be a sqlite:/// or postgresql:// URL")
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("TELEGRAM_API_URL must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("webhook_url")
    @classmethod
    def _webhook_base(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("WEBHOOK_URL must start with https:// (the public base URL)")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url is None:
            return self
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if len(secret) < WEBHOOK_SECRET_MIN or not WEBHOOK_SECRET_SHAPE.fullmatch(secret):
            # Never the value itself, not even in part.
            raise ValueError(
                f"WEBHOOK_SECRET must be set when WEBHOOK_URL is: {WEBHOOK_SECRET_MIN} to 256 "
                "characters of A-Z, a-z, 0-9, _ and - (e.g. `openssl rand -hex 32`)"
            )
        return self

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_coordinator(self, telegram_user_id: int | None) -> bool:
        return telegram_user_id is not None and telegram_user_id in self.coordinator_ids


def load_settings(**overrides: object) -> Settings:
    """Read settings; turn any validation error into one readable line.

    Any setting can come from a file instead (Docker and Kubernetes secrets):
    BOT_TOKEN_FILE=/run/secrets/bot_token reads BOT_TOKEN from that file."""
    overrides = {**_from_files(), **overrides}
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())).upper() or "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"Configuration problem in {where}: {message}") from None


def _from_files(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Settings named by NAME_FILE variables, read from those files (one trailing newline
    dropped). NAME and NAME_FILE together are refused: which one is meant is unclear."""
    env = os.environ if environ is None else environ
    upper = {k.upper(): v for k, v in env.items()}
    values: dict[str, str] = {}
    for name in Settings.model_fields:
        path = upper.get(f"{name.upper()}_FILE")
        if not path:
            continue
        if name.upper() in upper:
            raise ConfigError(
                f"Configuration problem: set {name.upper()} or {name.upper()}_FILE, not both"
            )
        try:
            values[name] = Path(path).read_text(encoding="utf-8").removesuffix("\n")
        except OSError as exc:
            raise ConfigError(
                f"Configuration problem in {name.upper()}_FILE: cannot read {path} ({exc.strerror})"
            ) from None
    return values
