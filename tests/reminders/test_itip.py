"""Calendar files are iTIP messages (RFC 5546) a calendar will apply: the invitation and
every change a REQUEST (same UID, higher SEQUENCE), a cancellation a CANCEL, each with
its ORGANIZER and ATTENDEE; read back with the icalendar library, checked against the
property rules of sections 3.2.2 (REQUEST) and 3.2.5 (CANCEL), and still discreet."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from icalendar import Calendar, Event

from cetr_bot.domain import Role
from cetr_bot.services import reviews
from tests.helpers import CLI, add_review, invite, join
from tests.reminders.helpers import notices_done, tick

# RFC 5546 section 3.2.2, VEVENT of a REQUEST: (at least, at most) of each property.
REQUEST = {
    "ATTENDEE": (1, None),
    "DTSTAMP": (1, 1),
    "DTSTART": (1, 1),
    "ORGANIZER": (1, 1),
    "SEQUENCE": (0, 1),
    "SUMMARY": (1, 1),
    "UID": (1, 1),
    "STATUS": (0, 1),
    "DTEND": (0, 1),
    "DURATION": (0, 1),
    "LOCATION": (0, 1),
    "URL": (0, 1),
    "DESCRIPTION": (0, 1),
}
# Section 3.2.5, VEVENT of a CANCEL (ATTENDEE: every attendee when the whole event goes).
CANCEL = {
    "ATTENDEE": (1, None),
    "DTSTAMP": (1, 1),
    "ORGANIZER": (1, 1),
    "SEQUENCE": (1, 1),
    "UID": (1, 1),
    "STATUS": (1, 1),
    "DTSTART": (0, 1),
    "DTEND": (0, 1),
    "DURATION": (0, 1),
    "SUMMARY": (0, 1),
    "DESCRIPTION": (0, 1),
    "LOCATION": (0, 1),
    "URL": (0, 1),
}


def _count(event: Event, name: str) -> int:
    value = event.get(name)
    if value is None:
        return 0
    return len(value) if isinstance(value, list) else 1


def check_itip(data: bytes, method: str) -> Event:
    """The file is one VEVENT that obeys RFC 5546's rules for `method`; returns it."""
    calendar = Calendar.from_ical(data)
    assert str(calendar["METHOD"]) == method
    assert str(calendar["VERSION"]) == "2.0" and calendar.get("PRODID")
    [event] = calendar.walk("VEVENT")
    rules = REQUEST if method == "REQUEST" else CANCEL
    for name in {str(k) for k in event} | set(rules):
        assert name in rules, f"{method}: {name} is not expected in the VEVENT"
        least, most = rules[name]
        found = _count(event, name)
        assert found >= least, f"{method}: {name} is required"
        assert most is None or found <= most, f"{method}: {name} more than {most} times"
    if method == "REQUEST":
        assert "DTEND" not in event or "DURATION" not in event
        assert str(event.get("STATUS", "CONFIRMED")) in ("CONFIRMED", "TENTATIVE")
        if int(event.get("SEQUENCE", 0)) > 0:
            assert "SEQUENCE" in event  # a non-zero SEQUENCE must be given
    else:
        assert str(event["STATUS"]) == "CANCELLED"
    for address in (event["ORGANIZER"], *_attendees(event)):
        assert str(address).lower().startswith("mailto:")
    return event


def _attendees(event: Event) -> list:
    found = event.get("ATTENDEE")
    return found if isinstance(found, list) else [found]


def discreet(data: bytes) -> None:
    text = data.decode()
    for private in ("YP-0042", "Dana", "St Elsewhere", "Hospital", "Ward 3"):
        assert private not in text, private


async def test_invitation_update_and_cancellation_follow_itip(bot, client, svc):
    review_id = await add_review(svc, location="St Elsewhere Hospital, Ward 3")
    created = await invite(svc, review_id, Role.FAMILY)
    user = client.user(2001, first_name="Dana")
    sent = await join(user, created.token)
    await notices_done(svc)
    [card] = [m for m in sent if m.document]
    first_data = await client.document(2001, card.message_id)
    first = check_itip(first_data, "REQUEST")
    discreet(first_data)
    [guest] = _attendees(first)
    assert str(guest) == f"mailto:participant-{created.participant_id}@cetr-bot.invalid"
    assert guest.params["PARTSTAT"] == "NEEDS-ACTION" and guest.params["RSVP"] == "FALSE"
    assert "CN" not in guest.params and "CN" not in first["ORGANIZER"].params
    assert str(first["ORGANIZER"]) == "mailto:cetr-reviews@cetr-bot.invalid"

    [confirmed] = await user.tap("🏢 In person", message=card)  # the file comes again
    accepted = check_itip(await client.document(2001, confirmed.message_id), "REQUEST")
    assert _attendees(accepted)[0].params["PARTSTAT"] == "ACCEPTED"

    new_at = datetime(2026, 12, 21, 14, 0, tzinfo=UTC)
    await reviews.reschedule_review(svc, CLI, review_id=review_id, at=new_at)
    await tick(svc, bot)
    [moved_notice] = await user.wait_for(1)
    moved_data = await client.document(2001, moved_notice.message_id)
    moved = check_itip(moved_data, "REQUEST")
    discreet(moved_data)
    assert moved["UID"] == first["UID"]
    assert int(moved["SEQUENCE"]) > int(first.get("SEQUENCE", 0))
    assert moved.decoded("DTSTART") == new_at
    assert str(_attendees(moved)[0]) == str(guest)  # the same attendee, so it matches

    await reviews.cancel_review(svc, CLI, review_id=review_id)
    await tick(svc, bot)
    [cancel_notice] = await user.wait_for(1)
    cancel_data = await client.document(2001, cancel_notice.message_id)
    cancel = check_itip(cancel_data, "CANCEL")
    discreet(cancel_data)
    assert cancel["UID"] == first["UID"]
    assert int(cancel["SEQUENCE"]) > int(moved["SEQUENCE"])
    assert str(_attendees(cancel)[0]) == str(guest)
    assert str(cancel["ORGANIZER"]) == str(first["ORGANIZER"])


@pytest.mark.parametrize("extra_settings", [{"calendar_organizer": "cetr.team@example.nhs.uk"}])
async def test_the_organizer_is_the_configured_team_address(bot, client, svc, extra_settings):
    review_id = await add_review(svc)
    created = await invite(svc, review_id, Role.YOUNG_PERSON)
    sent = await join(client.user(2002, first_name="Sam"), created.token)
    [card] = [m for m in sent if m.document]
    event = check_itip(await client.document(2002, card.message_id), "REQUEST")
    assert str(event["ORGANIZER"]) == "mailto:cetr.team@example.nhs.uk"
