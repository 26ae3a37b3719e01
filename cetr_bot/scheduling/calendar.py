"""The review as an iCalendar (.ics) event, sent with invitations and confirmations.

One UID per review, so a calendar updates the same event when it moves (higher
SEQUENCE, from Review.sequence) and removes it on cancellation (METHOD:CANCEL).

Discreet by design: the file sits in a chat that is not end-to-end encrypted, so
its title says only that it is a CETR meeting. LOCATION is filled only when the coordinator
gave a video link; a venue (which may name a hospital) is left to the coordinator
to pass on.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from cetr_bot.config import Settings
from cetr_bot.text import Texts
from cetr_bot.text_safety import clean_text

FILENAME = "cetr-meeting.ics"
_LINK = re.compile(r"https://\S+")


def uid(review_id: int, settings: Settings) -> str:
    return f"cetr-review-{review_id}@{settings.calendar_domain}"


def video_link(location: str | None) -> str | None:
    """The first https link in the location text, if the review is by video."""
    match = _LINK.search(clean_text(location or "", multiline=False))
    return match[0] if match else None


def words(texts: Texts) -> tuple[str, str]:
    """The event's title and description, from messages/reminders/."""
    return texts.plain("reminders/ics_summary"), texts.plain("reminders/ics_description")


def review_ics(
    *,
    review_id: int,
    at: datetime,
    sequence: int,
    location: str | None,
    settings: Settings,
    now: datetime,
    words: tuple[str, str],
    cancelled: bool = False,
) -> bytes:
    """`words` are the title and description (from messages/reminders/ics_*.html)."""
    calendar = Calendar()
    calendar.add("prodid", "-//cetr-bot//CETR reminders//EN")
    calendar.add("version", "2.0")
    # PUBLISH adds the event without asking anyone to reply by e-mail; CANCEL removes it.
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = _event(review_id, at, sequence, location, settings, now, cancelled)
    event.add("summary", words[0])
    event.add("description", words[1])
    calendar.add_component(event)
    return calendar.to_ical()


def _event(
    review_id: int,
    at: datetime,
    sequence: int,
    location: str | None,
    settings: Settings,
    now: datetime,
    cancelled: bool,
) -> Event:
    event = Event()
    event.add("uid", uid(review_id, settings))
    event.add("sequence", sequence)
    event.add("dtstamp", now)
    event.add("dtstart", at)
    event.add("dtend", at + timedelta(minutes=settings.review_duration_minutes))
    link = video_link(location)
    if link:
        event.add("location", link)
        event.add("url", link)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event
