"""End to end through the sandbox: what people type is unreadable in the database itself."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from cetr_bot.domain import Role
from cetr_bot.storage.models import Person
from cetr_bot.storage.models_preparation import PrepFlag
from cetr_bot.storage.registry import Base
from tests.preparation.helpers import START, answer, join_as, questions, stored_answers

NAME = "Zebedee"
ANSWER = "Quokka-answer: she sleeps badly since the move to Ward 7"
CONCERN = "Quokka-concern: staff took her tablet away"


async def raw_dump(database_url: str) -> list[tuple[str, str, str]]:
    """Every text value of every table, read with plain SQL on an engine with no key."""
    engine = create_async_engine(database_url)
    found: list[tuple[str, str, str]] = []
    try:
        async with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                result = await conn.execute(text(f'SELECT * FROM "{table.name}"'))
                for row in result.mappings():
                    found += [(table.name, k, str(v)) for k, v in row.items() if v is not None]
    finally:
        await engine.dispose()
    return found


async def test_no_plaintext_answer_name_or_concern_in_the_database(bot, client, svc, database_url):
    parent = await join_as(svc, client, Role.FAMILY, 2001, first_name=NAME)
    user = parent.user
    replies = await user.tap(START)
    for question in questions(Role.FAMILY):
        if question.kind == "text":
            replies = await user.ask(ANSWER)
            break
        replies = await answer(user, question)
    assert replies, "the bot answered"
    await user.ask("/concern")
    await user.ask(CONCERN)

    # The services see the words as typed.
    stored = await stored_answers(svc, parent.participant_id)
    assert ANSWER in {a.value for a in stored.values()}
    async with svc.db.transaction() as session:
        assert NAME in set(await session.scalars(select(Person.preferred_name)))
        assert CONCERN in set(await session.scalars(select(PrepFlag.text)))

    # The database holds none of them, anywhere.
    dump = await raw_dump(database_url)
    assert dump
    for needle in (NAME, "Quokka", "Ward 7", "tablet"):
        leaks = [(t, c) for t, c, v in dump if needle in v]
        assert not leaks, f"{needle!r} stored in plain text in {leaks}"
    raw_answers = [v for t, c, v in dump if (t, c) == ("prep_answers", "value")]
    assert raw_answers and all(v.startswith("v1:test1:") for v in raw_answers)
    raw_names = [v for t, c, v in dump if (t, c) == ("people", "preferred_name")]
    assert raw_names and all(v.startswith("v1:test1:") for v in raw_names)
