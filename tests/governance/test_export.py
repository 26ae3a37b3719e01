"""Subject access: `cetr-bot export` writes everything held about one person (JSON and a
readable, escaped HTML page) and audits it with ids only; the list of tables that refer
to a person is derived from the models, so a new table cannot be left out; /mydata in the
bot is recorded, approved by the coordinator, and delivered as protected documents."""

from __future__ import annotations

import json

from sqlalchemy import BigInteger, select

from cetr_bot.cli import main
from cetr_bot.domain import Role
from cetr_bot.services import subject_access
from cetr_bot.services.context import Actor
from cetr_bot.storage.models import AuditEvent, Participant, Person
from cetr_bot.storage.models_requests import DataRequest
from cetr_bot.storage.registry import Base
from tests.conftest import COORDINATOR_ID
from tests.governance.helpers import SECRET, answer_first, join_review, seeded_review
from tests.helpers import add_review, invite, join, token_in
from tests.reminders.helpers import tick

NAME = "Ottoline<b>Quaver"  # a name with markup in it: the page must escape it


def person_tables() -> set[str]:
    """Every table whose rows belong to a person: a foreign key to people.id, or to a
    table already in the set that is theirs by participation (participants, actions),
    followed until nothing new turns up."""
    found = {"people"}
    owners = {"people", "participants", "actions"}
    changed = True
    while changed:
        changed = False
        for table in Base.metadata.sorted_tables:
            if table.name in found:
                continue
            if any(fk.column.table.name in owners & found for fk in table.foreign_keys):
                found.add(table.name)
                changed = True
    return found


def telegram_id_columns() -> set[tuple[str, str]]:
    """Every 64-bit integer column: Telegram user and chat ids are the only such values."""
    return {
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, BigInteger)
    }


def test_every_telegram_id_column_is_listed_with_a_reason():
    listed = set(subject_access.TELEGRAM_ID_COLUMNS) | set(subject_access.NOT_TELEGRAM_IDS)
    assert telegram_id_columns() <= listed, telegram_id_columns() - listed
    assert all(subject_access.TELEGRAM_ID_COLUMNS.values())


def test_the_derived_tables_are_the_ones_expected():
    # A sanity check on the derivation itself (a new table joins this set on its own).
    assert {"participants", "prep_answers", "consent_records", "prep_flags", "attendance",
            "feedback_answers", "actions", "action_updates", "reminders", "invitations",
            "digest_preferences", "data_requests", "prep_progress"} <= person_tables()  # fmt: skip


def test_cli_export_has_every_table_and_is_audited(env, capsys, do, tmp_path):
    seeded = do(lambda s: seeded_review(s))
    clinician = seeded.actors[Role.CLINICIAN]

    async def find(svc):
        async with svc.db.transaction() as session:
            person = await session.scalar(
                select(Person).where(Person.telegram_user_id == clinician.telegram_user_id)
            )
            person.preferred_name = NAME
            return person.id

    person_id = do(find)
    assert main(["export", "--person", str(person_id), "-o", str(tmp_path / "lee")]) == 0
    out = capsys.readouterr().out
    assert "lee.json" in out and "lee.html" in out
    data = json.loads((tmp_path / "lee.json").read_text())
    page = (tmp_path / "lee.html").read_text()

    # Every table that refers to a person, and every table with a Telegram id column.
    expected = person_tables() | {t for t, _ in subject_access.TELEGRAM_ID_COLUMNS}
    present = set(data["tables"]) | {"audit_events"}
    assert expected <= present, expected - present
    assert data["audit_events"], "the audit of their data is part of the copy"

    # Their own data, decrypted; nobody else's.
    assert data["tables"]["people"][0]["preferred_name"] == NAME
    answers = [a["value"] for a in data["tables"]["prep_answers"]]
    assert SECRET in answers
    assert "AwACAgQAAx0voice" not in json.dumps(data)  # the family member's voice note
    assert [a["id"] for a in data["tables"]["actions"]] == [seeded.action_id]
    assert SECRET in [u["text"] for u in data["tables"]["action_updates"]]
    assert all("token_hash" not in i for i in data["tables"]["invitations"])

    # The page is readable and escaped.
    assert SECRET in page and "Ottoline&lt;b&gt;Quaver" in page and NAME not in page

    async def audited(svc):
        async with svc.db.transaction() as session:
            return list(
                await session.scalars(select(AuditEvent).where(AuditEvent.kind == "data_exported"))
            )

    [event] = do(audited)
    assert event.person_id == person_id and event.actor_role == "operator"
    assert event.detail["counts"]["prep_answers"] == 1
    assert SECRET not in json.dumps(event.detail) and "Ottoline" not in json.dumps(event.detail)


def test_export_by_extension_and_unknown_person(env, capsys, do, tmp_path):
    do(lambda s: seeded_review(s))
    assert main(["export", "--person", "1", "-o", str(tmp_path / "one.json")]) == 0
    assert (tmp_path / "one.json").exists() and not (tmp_path / "one.json.html").exists()
    assert main(["export", "--person", "999", "-o", str(tmp_path / "x")]) == 1
    assert "no person 999" in capsys.readouterr().err


async def test_mydata_in_the_bot_is_approved_and_sent_protected(bot, client, svc):
    review_id = await add_review(svc, ref="YP-EXP1")
    coordinator = client.user(COORDINATOR_ID)
    await coordinator.ask("/reviews")  # the chat exists
    young = client.user(5101, "Kit")
    await join(young, token_in((await invite(svc, review_id, Role.YOUNG_PERSON)).link))
    clinician = client.user(5102, "Lee")
    await join(clinician, token_in((await invite(svc, review_id, Role.CLINICIAN)).link))
    await tick(svc, bot)  # the join notices out of the way
    before = len(await coordinator.messages())

    [asked] = await young.ask("/mydata")
    assert "You asked to see your information" in asked.plain  # the easy-read variant
    [again] = await young.ask("/mydata")
    assert "You asked" in again.plain
    async with svc.db.transaction() as session:
        [req] = list(await session.scalars(select(DataRequest)))
    assert req.kind == "export" and req.status == "pending"  # recorded once

    await tick(svc, bot)
    notices = (await coordinator.messages())[before:]
    [notice] = [m for m in notices if "asked for a copy" in m.plain]
    assert "Kit" not in notice.plain and "YP-EXP1" not in notice.plain
    await tick(svc, bot)
    assert len([m for m in (await coordinator.messages()) if "asked for a copy" in m.plain]) == 1

    # Someone who is not their coordinator cannot approve it.
    own = (await clinician.messages())[-1]
    await clinician.press_data(own.message_id, f"dq:{req.id}:yes")
    [refused] = await clinician.wait_for(1)
    assert "no such request" in refused.plain

    [done] = await coordinator.tap("✅ Send the copy", message=notice)
    assert "approved" in done.plain
    await tick(svc, bot)
    docs = await copies(young)
    assert len(docs) == 2 and all(m.protect_content for m in docs)
    names = sorted(m.document["file_name"] for m in docs)
    assert names[0].endswith(".html") and names[1].endswith(".json")
    html_doc = next(m for m in docs if m.document["file_name"].endswith(".html"))
    page = (await client.document(5101, html_doc.message_id)).decode()
    assert "Everything we keep about you" in page and "Kit" in page
    json_doc = next(m for m in docs if m.document["file_name"].endswith(".json"))
    data = json.loads(await client.document(5101, json_doc.message_id))
    assert data["tables"]["people"][0]["telegram_user_id"] == 5101
    assert "Lee" not in json.dumps(data)  # not the other participant

    # A second press is stale; nothing is sent twice.
    await coordinator.press_data(notice.message_id, f"dq:{req.id}:yes")
    [stale] = await coordinator.wait_for(1)
    assert "already been decided" in stale.plain
    await tick(svc, bot)
    assert len(await copies(young)) == 2


async def copies(user):
    return [
        m
        for m in await user.messages()
        if m.document and m.document["file_name"].startswith("my-data-")
    ]


async def test_mydata_from_someone_unknown(bot, client, svc):
    [reply] = await client.user(5999).ask("/mydata")
    assert "invitation link" in reply.plain


async def test_request_needs_a_person(svc):
    review_id = await add_review(svc)
    actor = await join_review(svc, review_id, Role.CLINICIAN, 5201, "Lee")
    async with svc.db.transaction() as session:
        pid = await session.scalar(select(Participant.id).where(Participant.review_id == review_id))
    await answer_first(svc, actor, pid, "words")
    asked = await subject_access.request(svc, actor, subject_access.EXPORT)
    assert asked.coordinators == 1 and not asked.young_person
    try:
        await subject_access.request(svc, Actor(5299), subject_access.EXPORT)
    except Exception as error:  # noqa: BLE001
        assert getattr(error, "key", None) == "not_a_participant"
    else:
        raise AssertionError("a stranger's request was accepted")
