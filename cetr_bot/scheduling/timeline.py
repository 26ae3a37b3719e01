"""Wall-clock arithmetic for reminders: local times of day, and quiet hours.

Reminders are planned in local time and stored in UTC. "Two days before at
09:00" is worked out on the local calendar, so it stays 09:00 when the clocks
change in March and October (a plain `- timedelta(days=2)` in UTC would drift by
an hour).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cetr_bot.config import Settings


def local_at(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """`clock` on `day` in `zone`, as an aware UTC datetime."""
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def days_before(moment: datetime, days: int, clock: time, zone: ZoneInfo) -> datetime:
    """`clock` local time, `days` calendar days before the local date of `moment`."""
    return local_at(moment.astimezone(zone).date() - timedelta(days=days), clock, zone)


def in_quiet_hours(moment: datetime, settings: Settings) -> bool:
    start, end = settings.quiet_hours_start, settings.quiet_hours_end
    now = moment.astimezone(settings.zone).time()
    if start == end:
        return False
    if start > end:  # spans midnight, e.g. 20:00–08:00
        return now >= start or now < end
    return start <= now < end


def out_of_quiet_hours(moment: datetime, settings: Settings) -> datetime:
    """`moment`, or the end of the quiet hours it falls in (the next morning)."""
    if not in_quiet_hours(moment, settings):
        return moment
    zone = settings.zone
    local = moment.astimezone(zone)
    for offset in (0, 1):
        candidate = local_at(local.date() + timedelta(days=offset), settings.quiet_hours_end, zone)
        if candidate > moment:
            return candidate
    raise AssertionError("quiet hours end within a day")  # pragma: no cover
