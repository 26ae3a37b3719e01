"""Reading dates and times the way people type them (UK order: day first)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %b %Y", "%d %B %Y")
_TIME = re.compile(r"^(\d{1,2})(?::|\.|h)?(\d{2})?\s*(am|pm)?$", re.IGNORECASE)


def parse_date(text: str) -> date | None:
    cleaned = " ".join(text.strip().replace(",", " ").split())
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    return None


def parse_time(text: str) -> time | None:
    match = _TIME.match(text.strip())
    if not match:
        return None
    hour, minute, half = int(match[1]), int(match[2] or 0), (match[3] or "").lower()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_local_datetime(text: str, zone: ZoneInfo) -> datetime | None:
    """'2026-12-03 10:00', '3/12/2026 10:30', '3 Dec 2026 2pm' → aware UTC datetime.

    A local time that does not exist (the spring clock change) gives None.
    """
    parts = text.strip().rsplit(maxsplit=1)
    if len(parts) != 2:
        return None
    day, clock = parse_date(parts[0]), parse_time(parts[1])
    if day is None or clock is None:
        return None
    return local_to_utc(datetime.combine(day, clock), zone)


def local_to_utc(naive: datetime, zone: ZoneInfo) -> datetime | None:
    aware = naive.replace(tzinfo=zone)
    back = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return aware.astimezone(UTC) if back == naive else None


MAX_ID_DIGITS = 9  # ids are database keys; nine digits is far more than we will ever have
_ID = re.compile(rf"[0-9]{{1,{MAX_ID_DIGITS}}}", re.ASCII)


def parse_id(text: str | None, *, prefixes: str = "#") -> int | None:
    """A typed or button-borne id: ASCII digits only, bounded length, else None.

    `str.isdigit()` accepts "²" and other digits that int() rejects; this does not.
    Leading `prefixes` characters (e.g. "#", or "#Aa" for action numbers) are ignored.
    """
    if text is None:
        return None
    cleaned = text.strip().lstrip(prefixes)
    return int(cleaned) if _ID.fullmatch(cleaned) else None
