"""Communication needs (the Accessible Information Standard): anyone records theirs with
/needs (easy-read for the young person), a coordinator records someone's (/needs N, the CLI);
they show on the review view, in the invitation planning and the pack, and are acted on
(easy-read, a large-print pack, the interpreter reminder)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from cetr_bot.cli import main
from cetr_bot.domain import Need, ReminderKind, Role
from cetr_bot.services import needs, subject_access
from cetr_bot.storage.models import Person
from cetr_bot.storage.models_needs import CommunicationNeed
from tests.conftest import COORDINATOR_ID
from tests.governance.conftest import do, env  # noqa: F401
from tests.helpers import CLI, add_review, invite, join
from tests.reminders.conftest import extra_settings, settings  # noqa: F401
from tests.reminders.helpers import pending, tick

pytestmark = pytest.mark.timeout(240)

MUM, SAM, LEE = 2001, 2002, 2003


async def _person_id(svc, uid: int) -> int:
    async with svc.db.transaction() as session:
        found = await session.scalar(select(Person.id).where(Person.telegram_user_id == uid))
    assert found is not None
    return found


async def test_anyone_records_their_needs_and_the_coordinator_sees_them(bot, client, svc):
    review_id = await add_review(svc, at=svc.now() + timedelta(days=21))
    mum, sam = client.user(MUM, first_name="Ana"), client.user(SAM, first_name="Sam")
    await join(mum, (await invite(svc, review_id, Role.FAMILY)).token)
    await join(sam, (await invite(svc, review_id, Role.YOUNG_PERSON)).token)

    # The young person's screen is in easy words.
    [screen] = await sam.ask("/needs")
    assert "What helps you?" in screen.plain and "▫️ 🔍 Big letters" in screen.button_labels
    [screen] = await sam.tap("▫️ 🤟 Sign language (BSL)", message=screen)
    assert "✅ 🤟 Sign language (BSL)" in screen.button_labels

    # An adult's: plain words; an interpreter asks which language.
    [screen] = await mum.ask("/needs")
    assert "Your communication needs" in screen.plain
    [asked] = await mum.tap("▫️ spoken language interpreter", message=screen)
    assert "Which language" in asked.plain
    [screen] = await mum.ask("Polish")
    assert "spoken language interpreter (Polish)" in screen.plain
    [screen] = await mum.tap("▫️ large print", message=screen)
    [screen] = await mum.tap("▫️ easy-read", message=screen)
    assert "✅ 📖 Easy words and pictures" in screen.button_labels  # now in easy words too
    assert await _easy(svc, MUM)
    # Asked for: everything she reads from now on is the easy-read version where there is one.
    [help_] = await mum.ask("/help")
    assert "I help you get ready for your meeting." in help_.plain

    # Tapping again takes a need off.
    [screen] = await mum.tap("✅ 📖 Easy words and pictures", message=screen)
    assert not await _easy(svc, MUM)
    [help_] = await mum.ask("/help")
    assert "I help the young person, their family" in help_.plain

    coord = client.user(COORDINATOR_ID)
    [detail] = await coord.ask(f"/review {review_id}")
    assert "needs: large print, spoken language interpreter (Polish)" in detail.plain
    assert "needs: British Sign Language interpreter" in detail.plain
    [pick] = await coord.ask(f"/invite {review_id}")
    assert "Communication needs already known" in pick.plain
    assert "spoken language interpreter (Polish)" in pick.plain


async def test_a_coordinator_records_needs_for_someone_in_their_review(bot, client, svc):
    review_id = await add_review(svc, at=svc.now() + timedelta(days=21))
    lee = client.user(LEE, first_name="Lee")
    created = await invite(svc, review_id, Role.CLINICIAN)
    await join(lee, created.token)
    coord = client.user(COORDINATOR_ID)
    [pick] = await coord.ask(f"/needs {review_id}")
    [label] = [b for b in pick.button_labels if f"P{created.participant_id}" in b]
    [screen] = await coord.tap(label, message=pick)
    assert f"P{created.participant_id}" in screen.plain and "(Lee)" in screen.plain
    [asked] = await coord.tap("▫️ times that suit them", message=screen)
    assert "suit them" in asked.plain
    [screen] = await coord.ask("Afternoons, not Mondays")
    assert "times that suit them (Afternoons, not Mondays)" in screen.plain
    # The same screen by participant number.
    [again] = await coord.ask(f"/needs P{created.participant_id}")
    assert "Afternoons, not Mondays" in again.plain
    # Lee sees what was recorded for them.
    [own] = await lee.ask("/needs")
    assert "Afternoons, not Mondays" in own.plain

    # Someone who is not a coordinator cannot record for others (a forged press).
    await lee.press_data(own.message_id, f"nd:{created.participant_id}:bsl")
    [refused] = await lee.wait_for(1)
    assert "coordinator" in refused.plain.lower()
    assert not await _has(svc, LEE, Need.BSL)
    # A participant who has not joined yet: a kind answer.
    family = await invite(svc, review_id, Role.FAMILY)
    [later] = await coord.ask(f"/needs P{family.participant_id}")
    assert "has not joined yet" in later.plain


async def _easy(svc, uid: int) -> bool:
    person_id = await _person_id(svc, uid)
    async with svc.db.transaction() as session:
        return await needs.wants_easy_read(session, person_id)


async def _has(svc, uid: int, need: Need) -> bool:
    person_id = await _person_id(svc, uid)
    return need in {line.need for line in await needs.for_person(svc, CLI, person_id)}


async def test_the_interpreter_reminder_and_the_large_print_pack(bot, client, svc):
    review_id = await add_review(svc, at=svc.now() + timedelta(days=21))
    coord = client.user(COORDINATOR_ID)
    await coord.ask("/start")
    mum = client.user(MUM, first_name="Ana")
    await join(mum, (await invite(svc, review_id, Role.FAMILY)).token)
    await tick(svc, bot)
    await coord.settle()
    assert not await pending(svc, kind=ReminderKind.COORD_INTERPRETER)

    [screen] = await mum.ask("/needs")
    await mum.tap("▫️ British Sign Language interpreter", message=screen)
    rows = await pending(svc, kind=ReminderKind.COORD_INTERPRETER)
    assert sorted(r.payload["days"] for r in rows) == [1, 7]
    seven = min(rows, key=lambda r: r.due_at)
    await tick(svc, bot, at=seven.due_at)
    got = await coord.wait_for() + await coord.settle()
    [note] = [m for m in got if "interpreter is booked" in m.plain]
    assert "Family member or carer: British Sign Language interpreter" in note.plain
    assert "in 7 days" in note.plain and "Ana" not in note.plain

    # The need is taken off: the day-before reminder goes.
    [screen] = await mum.ask("/needs")
    await mum.tap("✅ British Sign Language interpreter", message=screen)
    assert not await pending(svc, kind=ReminderKind.COORD_INTERPRETER)

    # Large print: the coordinator's own pack, and the flag in it.
    [screen] = await mum.ask("/needs")
    await mum.tap("▫️ large print", message=screen)
    [doc, _pdf] = await coord.ask(f"/pack {review_id}", count=2, timeout=60)
    html = (await client.document(COORDINATOR_ID, doc.message_id)).decode()
    assert 'id="needs"' in html and "large print" in html
    assert "font-size: 16pt" not in html  # the coordinator did not ask for large print
    async with svc.db.transaction() as session:
        coordinator = Person(telegram_user_id=COORDINATOR_ID, chat_id=COORDINATOR_ID)
        session.add(coordinator)
        await session.flush()
        session.add(CommunicationNeed(person_id=coordinator.id, need=Need.LARGE_PRINT))
    [doc, _pdf] = await coord.ask(f"/pack {review_id}", count=2, timeout=60)
    assert "In large print" in doc.plain
    html = (await client.document(COORDINATOR_ID, doc.message_id)).decode()
    assert "font-size: 16pt" in html and 'class="large-print"' in html


def test_cli_sets_and_shows_needs(env, capsys, do):  # noqa: F811 (fixtures imported above)
    async def seed(svc):
        review_id = await add_review(svc)
        from tests.governance.helpers import join_review

        await join_review(svc, review_id, Role.FAMILY, MUM, "Ana")
        return await _person_id(svc, MUM)

    person_id = do(seed)
    assert main(["needs", "set", "--person", str(person_id), "--need", "interpreter=Polish",
                 "--need", "easy-read"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "spoken language interpreter (Polish)" in out and "easy-read" in out
    assert main(["needs", "set", "--person", str(person_id), "--remove", "easy-read"]) == 0
    assert main(["needs", "show", "--person", str(person_id)]) == 0
    out = capsys.readouterr().out
    assert "easy-read" not in out.split("\n", 1)[1] and "Polish" in out
    assert main(["needs", "set", "--person", str(person_id), "--need", "interpreter"]) == 1
    assert main(["needs", "set", "--person", str(person_id), "--need", "telepathy"]) == 2

    async def exported(svc):
        found = await subject_access.export_person(svc, CLI, person_id)
        await subject_access.erase_person(svc, CLI, person_id, reason="asked")
        async with svc.db.transaction() as session:
            left = list(await session.scalars(select(CommunicationNeed)))
        return found, left

    found, left = do(exported)
    assert [r["detail"] for r in found.tables["communication_needs"]] == ["Polish"]
    assert left == []
