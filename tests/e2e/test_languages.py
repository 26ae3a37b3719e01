"""Each person reads in their own language: Telegram's language_code is the first guess,
/language changes it, and the choice is stored, so reminders and menus follow it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cetr_bot.domain import Role
from cetr_bot.storage.models import Person
from tests.helpers import add_review, invite, join
from tests.reminders.helpers import notices_done, tick


async def _language_of(svc, user_id: int) -> str:
    async with svc.db.transaction() as session:
        return await session.scalar(
            select(Person.language).where(Person.telegram_user_id == user_id)
        )


async def test_a_polish_telegram_user_is_greeted_in_polish(bot, client, svc):
    review_id = await add_review(svc)
    created = await invite(svc, review_id, Role.FAMILY)
    user = client.user(2001, first_name="Ola", language_code="pl")
    greeting = (await join(user, created.token))[0]
    assert "dziękujemy za dołączenie" in greeting.plain
    assert "poniedziałek, 14 grudnia 2026 o 09:00" in greeting.plain  # Babel, in Polish
    assert await _language_of(svc, 2001) == "pl"
    [help_] = await user.ask("/help")
    assert "Polecenia" in help_.plain and "/language" in help_.plain


async def test_an_unshipped_language_falls_back_to_english(bot, client, svc):
    review_id = await add_review(svc)
    created = await invite(svc, review_id, Role.FAMILY)
    greeting = (await join(client.user(2001, language_code="de"), created.token))[0]
    assert "Your views matter as much as anyone's" in greeting.plain
    assert await _language_of(svc, 2001) == "en"


async def test_language_changes_every_later_message_and_reminder(bot, client, svc):
    review_id = await add_review(svc)
    created = await invite(svc, review_id, Role.FAMILY)
    user = client.user(2001, first_name="Dana")  # an English Telegram app
    await join(user, created.token)
    await notices_done(svc)
    [choose] = await user.ask("/language")
    assert "Which language" in choose.plain
    assert {text for row in choose.buttons for text, _ in row} >= {"English", "Polski"}
    done = await user.tap("Polski")
    assert any("po polsku" in m.plain for m in done)
    assert await _language_of(svc, 2001) == "pl"
    [help_] = await user.ask("/help")
    assert "Polecenia" in help_.plain
    # The dispatcher writes in the stored language too (another process would as well).
    review_at = svc.now() + timedelta(days=21)
    await tick(svc, bot, at=review_at - timedelta(days=14))
    [reminder] = await user.wait_for(1)
    assert "za 14 dni" in reminder.plain and "grudnia 2026" in reminder.plain
    # And back.
    await user.ask("/language")
    assert any("in English" in m.plain for m in await user.tap("English"))
    [help_] = await user.ask("/help")
    assert "Commands" in help_.plain


async def test_a_forged_language_button_changes_nothing(bot, client, svc):
    review_id = await add_review(svc)
    created = await invite(svc, review_id, Role.FAMILY)
    user = client.user(2001)
    await join(user, created.token)
    [choose] = await user.ask("/language")
    await user.press_data(choose.message_id, "lg:xx")
    [refused] = await user.wait_for(1)
    assert "no longer works" in refused.plain
    assert await _language_of(svc, 2001) == "en"


async def test_the_menu_is_published_in_each_language(bot, client, svc):
    menus = await client.commands()
    polish = [key for key in menus if key.endswith("/pl")]
    assert polish, menus.keys()
    described = {c["command"]: c["description"] for c in menus[polish[0]]}
    assert described["language"] == "Wybierz język"
    assert described["help"] != "What this bot does"
