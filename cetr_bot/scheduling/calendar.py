"""The review as an iCalendar (.ics) event, sent with invitations and confirmations.

One UID per review, so a calendar updates the same event when it moves (higher
SEQUENCE, from Review.sequence) and removes it on cancellation. The files are iTIP
messages (RFC 5546): an invitation or a change is METHOD:REQUEST, a cancellation
METHOD:CANCEL with STATUS:CANCELLED, each with the ORGANIZER (the coordinators' address,
CALENDAR_ORGANIZER, or a neutral one) and the recipient as ATTENDEE, which calendars
need before they apply a cancellation. The attendee is a neutral address made from the
participant number, the same in every file that person gets; no name.

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


def organizer(settings: Settings) -> str:
    """The ORGANIZER address: CALENDAR_ORGANIZER (mailto: added if missing), else neutral."""
    given = (settings.calendar_organizer or "").strip()
    if not given:
        return f"mailto:cetr-reviews@{settings.calendar_domain}"
    return given if given.lower().startswith("mailto:") else f"mailto:{given}"


def attendee(participant_id: int, settings: Settings) -> str:
    """The recipient's neutral ATTENDEE address (stable per participant, no name)."""
    return f"mailto:participant-{participant_id}@{settings.calendar_domain}"


# The recipient's reply, as the attendee's PARTSTAT (no reply yet: NEEDS-ACTION).
PARTSTAT = {"in_person": "ACCEPTED", "video": "ACCEPTED"}


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
    participant_id: int,
    answer: str | None = None,
    cancelled: bool = False,
) -> bytes:
    """`words` are the title and description (from messages/reminders/ics_*.html);
    `participant_id` the recipient's, `answer` their RSVP (if any)."""
    calendar = Calendar()
    calendar.add("prodid", "-//cetr-bot//CETR reminders//EN")
    calendar.add("version", "2.0")
    # REQUEST adds or updates the event (same UID, higher SEQUENCE); CANCEL removes it.
    # Nobody is asked to reply by e-mail (RSVP=FALSE): they answer in the chat.
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = _event(review_id, at, sequence, location, settings, now, cancelled)
    event.add("organizer", organizer(settings))
    partstat = "NEEDS-ACTION" if answer is None else PARTSTAT.get(str(answer), "DECLINED")
    event.add(
        "attendee",
        attendee(participant_id, settings),
        parameters={
            "CUTYPE": "INDIVIDUAL",
            "ROLE": "REQ-PARTICIPANT",
            "PARTSTAT": partstat,
            "RSVP": "FALSE",
        },
    )
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
