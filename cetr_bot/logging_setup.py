"""Logging for `run`, the demo and the worker: no secret ever reaches a log.

httpx logs every request URL at INFO, and a Bot API URL carries the bot token
(`https://api.telegram.org/bot<TOKEN>/getUpdates`), so the HTTP libraries are
turned down to WARNING; and a filter on the root handlers redacts anything
shaped like a bot token in messages, arguments, exception and stack text.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import traceback
from datetime import UTC, datetime
from typing import Any

TOKEN_SHAPE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
REDACTED = "<redacted-token>"
QUIET_LOGGERS = ("httpx", "httpcore")
FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# The web server's request id while a request is handled (JSON logs carry it).
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def redact(text: str) -> str:
    return TOKEN_SHAPE.sub(REDACTED, text)


def _redact_arg(value: Any) -> Any:
    if isinstance(value, str | bytes | BaseException) or not _plain(value):
        text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
        cleaned = redact(text)
        return cleaned if cleaned != text else value
    return value


def _plain(value: Any) -> bool:
    """Numbers and None format the same whatever we do; leave them alone (%d needs them)."""
    return value is None or isinstance(value, bool | int | float)


class RedactTokens(logging.Filter):
    """Rewrites each record so that no bot token survives in it; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        elif not _plain(record.msg):
            record.msg = redact(str(record.msg))
        if isinstance(record.args, dict):
            record.args = {key: _redact_arg(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_redact_arg(value) for value in record.args)
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_redaction(logger: logging.Logger | None = None) -> None:
    """Put the filter on every handler of `logger` (the root logger by default), once."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactTokens) for f in handler.filters):
            handler.addFilter(RedactTokens())


def quiet_http_loggers() -> None:
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message (ids only, like every log
    line here), the request id when there is one, and the exception text if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = REQUEST_ID.get()
        if request_id:
            entry["request_id"] = request_id
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = redact(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(level: int, log_format: str = "text") -> None:
    """The one place logging is set up for the programs; log_format "json" gives one
    JSON object a line (LOG_FORMAT=json)."""
    logging.basicConfig(level=level, format=FORMAT)
    if log_format == "json":
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonFormatter())
    quiet_http_loggers()
    install_redaction()
