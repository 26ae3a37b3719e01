"""Erasure: `cetr-bot erase` and /forgetme (approved by the coordinator) remove a
person's names, words and Telegram ids from every table, keep an audit tombstone, are
refused while a legal hold applies, and are harmless the second time. The proof is a scan
of every column of every table, through the ORM (encrypted columns decrypted) and with
raw SQL (plaintext columns), for the person's name, what they typed and their ids."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from cetr_bot.cli import main
from cetr_bot.domain import Role
from cetr_bot.services import actions, retention
from cetr_bot.services.context import Services
from cetr_bot.storage.models import AuditEvent, Participant, PendingInput, Person, StartAttempt
from cetr_bot.storage.models_actions import ActionUpdate
from cetr_bot.storage.models_preparation import ConsentRecord, PrepAnswer, PrepFlag
from cetr_bot.storage.models_reminders import Reminder
from cetr_bot.storage.models_requests import DataRequest
from cetr_bot.storage.registry import Base
from tests.conftest import COORDINATOR_ID
from tests.crypto.test_at_rest import raw_dump
from tests.governance.helpers import answer_first, join_review
from tests.helpers import CLI, add_review, invite, join, token_in
from tests.reminders.helpers import tick

UID = 777_123_456  # their Telegram user id (and private chat id)
NAME = "Zebedee Quixote"
TYPED = "Marmalade-7731: I sleep badly since the move"
CONCERN = "Marmalade-7731 concern: they took my tablet"
UPDATE = "Marmalade-7731 update: booked it"
OTHER_WORDS = "Ana-words-stay: the family's own answer"
NEEDLES = (NAME, "Zebedee", "Marmalade-7731", str(UID))


async def seed(svc: Services) -> dict[str, int]:
    """A clinician (the person to erase) who typed an answer, raised a concern, noted a
    consent, updated an action, is half-way through typing something, had a reminder
    and a failed invitation attempt; and a family member whose words must stay."""
    review_id = await add_review(svc, ref="YP-ERASE", at=svc.now() + timedelta(hours=1))
    actor = await join_review(svc, review_id, Role.CLINICIAN, UID, NAME)
    await join_review(svc, review_id, Role.FAMILY, 2001, "Ana")
    async with svc.db.transaction() as session:
        pids = {
            Role(role): pid
            for pid, role in await session.execute(
                select(Participant.id, Participant.role).where(Participant.review_id == review_id)
            )
        }
        person_id = await session.scalar(select(Person.id).where(Person.telegram_user_id == UID))
    mine, family = pids[Role.CLINICIAN], pids[Role.FAMILY]
    await answer_first(svc, actor, mine, TYPED)
    await actions.mark_held(svc, CLI, review_id=review_id, held_on=svc.now().date())
    view = await actions.add_action(
        svc, CLI, review_id=review_id, owner_participant_id=mine,
        what="Book the sleep assessment", due_on=svc.now().date() + timedelta(days=30),
    )  # fmt: skip
    async with svc.db.transaction() as session:
        session.add_all([
            PrepFlag(review_id=review_id, participant_id=mine, kind="rights", source="concern",
                     text=CONCERN, raised_by=UID, raised_at=svc.now()),
            ConsentRecord(review_id=review_id, participant_id=mine, subject="share",
                          decision="yes", basis="young_person", method="bot", recorded_by=UID,
                          recorded_by_role="clinician", note=f"{NAME} said yes", at=svc.now()),
            ActionUpdate(action_id=view.id, kind="update", text=UPDATE,
                         by_participant_id=mine, by_telegram_user_id=UID, at=svc.now()),
            PendingInput(telegram_user_id=UID, kind="concern", data={"draft": CONCERN}),
            StartAttempt(telegram_user_id=UID, at=svc.now()),
            Reminder(key="test:erase:1", kind="action_notice", review_id=review_id,
                     person_id=person_id, participant_id=mine, chat_id=UID, due_at=svc.now(),
                     send_after=svc.now() + timedelta(days=3), status="pending", attempts=0,
                     payload={"said": UPDATE}),
            PrepAnswer(participant_id=family, question_id="q_family", kind="text",
                       value=OTHER_WORDS, answered_at=svc.now()),
        ])  # fmt: skip
    return {"review_id": review_id, "person_id": person_id, "participant_id": mine}


async def orm_scan(svc: Services) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every value, decrypted, that contains a needle."""
    hits: list[tuple[str, str, str]] = []
    async with svc.db.transaction() as session:
        for mapper in Base.registry.mappers:
            for obj in await session.scalars(select(mapper.class_)):
                for attr in mapper.column_attrs:
                    value = json.dumps(getattr(obj, attr.key), default=str, ensure_ascii=False)
                    hits += [(mapper.local_table.name, attr.key, n) for n in NEEDLES if n in value]
    return hits


async def raw_scan(database_url: str) -> list[tuple[str, str, str]]:
    return [(t, c, n) for t, c, v in await raw_dump(database_url) for n in NEEDLES if n in v]


# The only place left: the Telegram id under which they acted, in the audit trail, which
# is append-only by design (a trigger refuses changes) and is the accountability record.
ALLOWED = {("audit_events", "telegram_user_id", str(UID))}


def _everything_found(hits: list[tuple[str, str, str]]) -> set[str]:
    return {needle for _, _, needle in hits}


def test_erase_removes_every_trace_keeps_a_tombstone_and_is_harmless_twice(
    env, capsys, do, database_url
):
    seeded = do(seed)
    person_id = seeded["person_id"]
    # Before: every needle is there, decrypted and (the ids) in plain columns.
    assert _everything_found(do(orm_scan)) == set(NEEDLES)

    assert main(["erase", "--person", str(person_id), "--reason", "request by letter"]) == 0
    assert "Erased person" in capsys.readouterr().out

    assert set(do(orm_scan)) <= ALLOWED, set(do(orm_scan)) - ALLOWED
    raw = set(asyncio.run(raw_scan(database_url)))
    assert raw <= ALLOWED, raw - ALLOWED

    async def after(svc: Services) -> dict[str, Any]:
        async with svc.db.transaction() as session:
            person = await session.get_one(Person, person_id)
            events = list(
                await session.scalars(select(AuditEvent).where(AuditEvent.kind == "person_erased"))
            )
            return {
                "person": (person.telegram_user_id, person.chat_id, person.preferred_name),
                "events": [(e.person_id, e.actor_role, e.detail) for e in events],
                "answers": sorted(
                    (a.participant_id, a.kind, a.value)
                    for a in await session.scalars(select(PrepAnswer))
                ),
                "reminders": [
                    (r.status, r.chat_id, r.payload)
                    for r in await session.scalars(
                        select(Reminder).where(Reminder.key == "test:erase:1")
                    )
                ],
                "removed": await session.scalar(
                    select(Participant.removed_at).where(Participant.id == seeded["participant_id"])
                ),
            }

    state = do(after)
    assert state["person"] == (-person_id, -person_id, None)  # the tombstone id, as retention
    [(tomb_person, role, detail)] = state["events"]
    assert tomb_person == person_id and role == "operator"
    assert detail["reason"] == "request by letter" and detail["counts"]["answers"] == 1
    assert any(value == OTHER_WORDS for _, _, value in state["answers"])  # others' data stays
    assert (seeded["participant_id"], "removed", "") in state["answers"]
    assert state["reminders"] == [("cancelled", 0, {})]
    assert state["removed"] is not None

    # Twice: harmless, no second tombstone.
    assert main(["erase", "--person", str(person_id), "--reason", "again"]) == 0
    assert "already erased" in capsys.readouterr().out
    assert len(do(after)["events"]) == 1


def test_erase_is_refused_under_a_legal_hold(env, capsys, do):
    seeded = do(seed)
    person_id = seeded["person_id"]
    do(lambda s: retention.hold_data(s, CLI, review_id=seeded["review_id"], reason="inquest"))
    assert main(["erase", "--person", str(person_id), "--reason", "request"]) == 1
    err = capsys.readouterr().err
    assert "cannot be erased now" in err and f"review #{seeded['review_id']}" in err
    assert "legal hold" in err
    assert _everything_found(do(orm_scan)) == set(NEEDLES)  # nothing changed

    async def refusals(svc: Services) -> list[str]:
        async with svc.db.transaction() as session:
            return list(await session.scalars(select(AuditEvent.kind).where(
                AuditEvent.person_id == person_id, AuditEvent.kind.like("%eras%"))))  # fmt: skip

    assert do(refusals) == ["erasure_refused"]
    do(lambda s: retention.release_data(s, CLI, review_id=seeded["review_id"], reason="closed"))
    assert main(["erase", "--person", str(person_id), "--reason", "request"]) == 0
    assert do(refusals) == ["erasure_refused", "person_erased"]


def test_erase_needs_a_reason(env, capsys, do):
    seeded = do(seed)
    assert main(["erase", "--person", str(seeded["person_id"]), "--reason", "  "]) == 1
    assert "say why" in capsys.readouterr().err


async def test_forgetme_in_the_bot(bot, client, svc, database_url):
    review_id = await add_review(svc, ref="YP-FORGET")
    coordinator = client.user(COORDINATOR_ID)
    await coordinator.ask("/reviews")
    young = client.user(UID, NAME)
    await join(young, token_in((await invite(svc, review_id, Role.YOUNG_PERSON)).link))
    await tick(svc, bot)

    [asked] = await young.ask("/forgetme")
    assert "You asked us to forget you" in asked.plain  # easy-read
    await retention.hold_data(svc, CLI, review_id=review_id, reason="inquest")
    await tick(svc, bot)
    [notice] = [m for m in await coordinator.messages() if "to be erased" in m.plain]
    assert NAME not in notice.plain and "YP-FORGET" not in notice.plain
    [refused] = await coordinator.tap("✅ Erase their data", message=notice)
    assert "refused" in refused.plain and f"review #{review_id}" in refused.plain
    await tick(svc, bot)  # they are told why it has to wait
    [wait] = await young.wait_for(1)
    assert "We cannot forget you yet" in wait.plain
    async with svc.db.transaction() as session:
        person = await session.scalar(select(Person).where(Person.telegram_user_id == UID))
        assert person is not None and person.preferred_name == NAME

    # Released, they ask again; this time it goes through.
    await retention.release_data(svc, CLI, review_id=review_id, reason="done")
    await young.ask("/forgetme")
    await tick(svc, bot)
    notices = [m for m in await coordinator.messages() if "to be erased" in m.plain]
    [done] = await coordinator.tap("✅ Erase their data", message=notices[-1])
    assert "has been erased" in done.plain
    [bye] = await young.wait_for(1)
    assert "We have deleted your answers and your name" in bye.plain
    async with svc.db.transaction() as session:
        statuses = sorted(r.status for r in await session.scalars(select(DataRequest)))
        assert statuses == ["approved", "refused"]
        assert await session.scalar(select(Person).where(Person.telegram_user_id == UID)) is None
    hits = set(await orm_scan(svc)) | set(await raw_scan(database_url))
    assert hits <= ALLOWED, hits - ALLOWED
    # Gone from the bot's point of view: a later /mydata is from a stranger.
    [reply] = await young.ask("/mydata")
    assert "invitation link" in reply.plain
