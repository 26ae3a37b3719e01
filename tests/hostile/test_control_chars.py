"""Control and bidirectional-override characters are removed from names and free text
before they are stored, and from anything already stored when it is shown."""

from __future__ import annotations

import unicodedata

import pytest
from sqlalchemy import select, update

from cetr_bot.domain import Role
from cetr_bot.services import pack, reviews
from cetr_bot.storage.models import Person
from cetr_bot.storage.models_preparation import PrepFlag
from cetr_bot.text import Texts
from cetr_bot.text_safety import clean_name, clean_text
from tests.helpers import CLI, add_review, invite, join
from tests.preparation.helpers import join_as

HOSTILE_NAME = "Ann\u202eeivl\u2066\x1b[2J\x07\u200f\ufeff\u00ad\r\nX"
BAD = {"\u202e", "\u2066", "\x1b", "\x07", "\u200f", "\ufeff", "\u00ad", "\r"}


def _hostile(text: str) -> set[str]:
    return {c for c in text if unicodedata.category(c) in ("Cc", "Cf") and c not in "\n\t"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ann\u202eeivl", "Anneivl"),
        ("  Jo \x1b[31m Bloggs\x00 ", "Jo [31m Bloggs"),
        ("a\u2067b\u2069c\u200ed", "abcd"),
        ("Zoë 👩‍👩‍👧", "Zoë 👩‍👩‍👧"),  # the joiner inside an emoji family stays
        ("Line one\nline two", "Line one line two"),
        ("\u202e\u202d", None),
    ],
)
def test_clean_name(raw, expected):
    assert clean_name(raw) == expected


def test_clean_text_keeps_lines_and_tabs_only_in_multi_line_text():
    assert clean_text("one\r\ntwo\tthree\x0b\u2028four\x85") == "one\ntwo\tthree\n\nfour"
    assert clean_text("one\ntwo\tthree", multiline=False) == "one two three"
    assert not _hostile(clean_text("".join(chr(c) for c in range(0x20)) + "".join(BAD)))


async def test_a_hostile_telegram_name_is_cleaned_when_they_join(bot, client, svc):
    review_id = await add_review(svc)
    created = await invite(svc, review_id, Role.FAMILY)
    greeting = await join(client.user(2001, first_name=HOSTILE_NAME), created.token)
    async with svc.db.transaction() as session:
        stored = await session.scalar(select(Person.preferred_name))
    assert stored == "Anneivl[2J X"
    assert not _hostile(greeting[0].text or "")


async def test_a_concern_is_stored_without_overrides(bot, client, svc):
    parent = await join_as(svc, client, Role.FAMILY, 2001)
    await parent.user.ask("/concern They said\u202e no one will listen\u2066 to us\x1b[0m")
    await parent.user.settle()
    async with svc.db.transaction() as session:
        text = await session.scalar(select(PrepFlag.text))
    assert text == "They said no one will listen to us[0m"


async def test_names_already_stored_are_cleaned_when_shown(bot, client, svc):
    review_id = await add_review(svc)
    created = await invite(svc, review_id, Role.FAMILY)
    await join(client.user(2001, first_name="Ann"), created.token)
    async with svc.db.transaction() as session:  # stored before cleaning existed
        await session.execute(update(Person).values(preferred_name=HOSTILE_NAME[:40]))
    texts = Texts(svc.settings.zone)
    detail = await reviews.review_detail(svc, CLI, review_id)
    shown = texts.plain("coordinator/review", detail=detail)
    assert "Anneivl" in shown and not _hostile(shown)  # what `cetr-bot review show` prints
    html = pack.render(texts, await pack.pack_for(svc, CLI, review_id=review_id))
    assert "Anneivl" in html and not _hostile(html)
    [sent] = await client.user(1001).ask(f"/review {review_id}")
    assert "Anneivl" in sent.plain and not _hostile(sent.text or "")
