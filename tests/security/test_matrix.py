"""Every actor against every command and every button prefix, end to end.

Refused means: the answer shows none of what an allowed actor sees, nothing
sensitive reaches the chat, and the database is unchanged. The actors are in four
groups, one test and one world each (so pytest-xdist can spread them); a group's
actors run at once (each in their own chat); the refused operations run first,
between two snapshots of the whole database, then the allowed ones.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from cetr_bot.domain import Role
from cetr_bot.sandbox import SandboxUser
from tests.security.matrix import (
    ADMIN,
    BUTTON_OWNERS,
    BUTTONS,
    COMMANDS,
    OTHER_COORDINATOR,
    OWN_COORDINATOR,
    PANEL_DEPUTY,
    SENSITIVE,
    STRANGER,
    Op,
)
from tests.security.world import (
    ADMIN as ADMIN_ID,
)
from tests.security.world import (
    COORDINATOR,
    OTHER_COORDINATOR_ID,
    PANEL_DEPUTY_ID,
    STRANGER_ID,
    World,
    build_world,
    changed_tables,
    snapshot,
    user_id_for,
)

ACTORS: dict[str, int] = {r.value: user_id_for(r) for r in Role} | {
    STRANGER: STRANGER_ID,
    OTHER_COORDINATOR: OTHER_COORDINATOR_ID,
    ADMIN: ADMIN_ID,
    PANEL_DEPUTY: PANEL_DEPUTY_ID,
    OWN_COORDINATOR: COORDINATOR,
}


def ids(world: World) -> dict[str, int]:
    return {
        "S": world.scheduled,
        "P": world.past,
        "H": world.held,
        "A": world.action_id,
        "YP_S": world.participant_ids[(world.scheduled, Role.YOUNG_PERSON)],
        "YP_H": world.participant_ids[(world.held, Role.YOUNG_PERSON)],
        "DEP": world.panel_deputy,
    }


async def quiet_world(bot, svc) -> World:  # type: ignore[no-untyped-def]
    world = await build_world(svc)
    # The reminder job would change rows while we compare snapshots: stop it.
    bot.app.job_queue.scheduler.pause()
    return world


async def run_op(
    user: SandboxUser, op: Op, values: dict[str, int], anchor: int, *, cancel: bool
) -> str:
    """Do the operation as this user; return everything the chat got back, as text.

    A command always gets a message back; a forged button gets at least an answer to
    the press (a toast), perhaps a message too."""
    if op.text:
        await user.send(op.render(values))
        got = await user.wait_for(1, timeout=20)
        got += await user.settle()
        answers: list[str] = []
    else:
        seen = len(await user.answers())
        await user.press_data(anchor, op.render(values), forge=True)
        answers = await _new_answers(user, seen)
        got = await user.settle()
    if cancel:
        await user.send("/cancel")
        await user.wait_for(1, timeout=20)
    return "\n".join([m.plain for m in got] + answers)


async def _new_answers(user: SandboxUser, seen: int) -> list[str]:
    for _ in range(400):
        answers = await user.answers()
        if len(answers) > seen:
            return [str(a.get("text") or "(answered)") for a in answers[seen:]]
        await asyncio.sleep(0.05)
    raise AssertionError(f"the press in chat {user.user_id} was never answered")


def problem_if_refused_wrongly(actor: str, op: Op, reply: str) -> str | None:
    leaked = [s for s in (*op.shows, *SENSITIVE) if s in reply]
    if leaked:
        return f"{actor} · {op.name}: refused expected, but the answer shows {leaked}: {reply!r}"
    if not reply.strip():
        return f"{actor} · {op.name}: refused without a word"
    return None


async def anchor(user: SandboxUser) -> int:
    """A bot message in the actor's chat to press forged buttons on."""
    [reply] = await user.ask("/help")
    return reply.message_id


def refused_ops(actor: str) -> list[Op]:
    return [op for op in COMMANDS if actor not in op.allowed] + [
        op for op in BUTTONS if actor not in BUTTON_OWNERS[op.button.split(":")[0]]
    ]


def test_every_actor_is_tried_and_every_operation_is_refused_to_someone():
    assert set(ACTORS) == {r.value for r in Role} | {
        STRANGER,
        OTHER_COORDINATOR,
        ADMIN,
        PANEL_DEPUTY,
        OWN_COORDINATOR,
    }
    assert {op.name for a in ACTORS for op in refused_ops(a)} == {
        op.name for op in (*COMMANDS, *BUTTONS)
    } - {op.name for op in COMMANDS if op.allowed >= set(ACTORS)}


# The actors in four groups, one test each (so pytest-xdist can spread them over
# workers); within a group they run at once, each in their own chat.
GROUPS: list[list[str]] = [list(ACTORS)[i::4] for i in range(4)]


def test_every_actor_is_in_one_group():
    assert sorted(a for g in GROUPS for a in g) == sorted(ACTORS)


@pytest.mark.timeout(300)  # hundreds of round trips: slower than one flow
@pytest.mark.parametrize("group", GROUPS, ids=lambda g: "+".join(g))
async def test_every_actor_against_every_operation(group, bot, client, svc, caplog):  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO)
    world = await quiet_world(bot, svc)
    values = ids(world)
    users = {name: client.user(ACTORS[name], first_name="X") for name in group}
    marks = dict(zip(users, await asyncio.gather(*map(anchor, users.values())), strict=True))
    assert await bot.until_idle()  # a dispatch tick begun before the pause is over

    async def refuse_all(name: str) -> list[str]:
        out = []
        for op in refused_ops(name):
            reply = await run_op(users[name], op, values, marks[name], cancel=False)
            if (problem := problem_if_refused_wrongly(name, op, reply)) is not None:
                out.append(problem)
        return out

    before = await snapshot(svc)
    problems = [p for ps in await asyncio.gather(*map(refuse_all, users)) for p in ps]
    after = await snapshot(svc)
    assert changed_tables(before, after) == [], "a refused operation changed the database"

    async def allow_all(name: str) -> list[str]:
        out = []
        for op in COMMANDS:
            if name not in op.allowed:
                continue
            reply = await run_op(users[name], op, values, marks[name], cancel=True)
            if not any(s in reply for s in op.shows):
                out.append(f"{name} · {op.name}: allowed, but got {reply[:200]!r}")
        return out

    # The coordinator's operations change the world for good: they go last.
    others = [n for n in users if n != OWN_COORDINATOR]
    problems += [p for ps in await asyncio.gather(*map(allow_all, others)) for p in ps]
    if OWN_COORDINATOR in users:
        problems += await allow_all(OWN_COORDINATOR)

    assert problems == [], "\n".join(problems)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert errors == [], [r.getMessage() for r in errors]
