"""The process's Prometheus metrics, in one registry that `GET /metrics` serves.

A bottom-layer module, so any layer may count what it does; labels carry kinds and
outcomes, never ids or personal data. Gauges about the database (reminders by status,
people unreachable, dispatch lag) are refreshed by the web layer at scrape time.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

UPDATES = Counter(
    "cetr_updates_total",
    "Telegram updates taken in, by kind (message, callback_query, ...) and outcome "
    "(ok, error, duplicate)",
    ["kind", "outcome"],
    registry=REGISTRY,
)
HANDLER_SECONDS = Histogram(
    "cetr_update_handler_seconds",
    "Time to handle one update (after its turn came), by kind",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
WEBHOOK_REQUESTS = Counter(
    "cetr_webhook_requests_total",
    "POST /telegram requests, by answer (accepted, unauthorized, bad_request, draining)",
    ["result"],
    registry=REGISTRY,
)
WEBHOOK_DUPLICATES = Counter(
    "cetr_webhook_duplicates_dropped_total",
    "Updates dropped because some process had already claimed their update_id",
    registry=REGISTRY,
)
REMINDER_SENDS = Counter(
    "cetr_reminder_sends_total",
    "Reminder send attempts by this process, by outcome (sent, retry, failed, blocked, "
    "rate_limited)",
    ["outcome"],
    registry=REGISTRY,
)
TELEGRAM_429 = Counter(
    "cetr_telegram_429_total",
    "Flood-control answers (429 Too Many Requests) from the Bot API",
    registry=REGISTRY,
)
REMINDERS = Gauge(
    "cetr_reminders",
    "Reminder rows by status (read from the database at scrape time)",
    ["status"],
    registry=REGISTRY,
)
REMINDERS_DUE = Gauge(
    "cetr_reminders_due",
    "Pending reminders whose send time has come (database, at scrape time)",
    registry=REGISTRY,
)
REMINDERS_RETRYING = Gauge(
    "cetr_reminders_retrying",
    "Pending reminders that have failed at least once and wait for another try",
    registry=REGISTRY,
)
DISPATCH_LAG = Gauge(
    "cetr_dispatch_lag_seconds",
    "Age of the oldest due pending reminder (0 when nothing is due)",
    registry=REGISTRY,
)
PEOPLE_UNREACHABLE = Gauge(
    "cetr_people_unreachable",
    "People who have blocked the bot (sends to them fail with 403)",
    registry=REGISTRY,
)
PROCESSED_UPDATES = Gauge(
    "cetr_processed_updates_rows",
    "Rows in the shared processed_updates table (ids kept to drop redeliveries)",
    registry=REGISTRY,
)


def note_reminder_outcome(kind: str) -> None:
    """One reminder send's outcome (the dispatcher calls this once per attempt)."""
    REMINDER_SENDS.labels(kind).inc()
    if kind == "rate_limited":
        TELEGRAM_429.inc()
