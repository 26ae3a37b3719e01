"""Every actor against every command and every button prefix, end to end.

Refused means: the answer shows none of what an allowed actor sees, nothing
sensitive reaches the chat, and the database is unchanged. All actors run at once
(each in their own chat); the refused operations run first, between two snapshots
of the whole database, then the allowed ones.
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


async def anchors(users: dict[str, SandboxUser]) -> dict[str, int]:
    """A bot message in each actor's chat to press forged buttons on."""

    async def one(user: SandboxUser) -> int:
        [reply] = await user.ask("/help")
        return reply.message_id

    found = await asyncio.gather(*(one(u) for u in users.values()))
    return dict(zip(users, found, strict=True))


@pytest.mark.timeout(600)  # hundreds of round trips: slower than one flow
async def test_every_actor_against_every_operation(bot, client, svc, caplog):
    caplog.set_level(logging.INFO)
    world = await quiet_world(bot, svc)
    values = ids(world)
    users = {name: client.user(uid, first_name="X") for name, uid in ACTORS.items()}
    marks = await anchors(users)

    refused = {
        name: [op for op in COMMANDS if name not in op.allowed]
        + [op for op in BUTTONS if name not in BUTTON_OWNERS[op.button.split(":")[0]]]
        for name in users
    }

    async def refuse_all(name: str) -> list[str]:
        out = []
        for op in refused[name]:
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
    problems += await allow_all(OWN_COORDINATOR)

    assert problems == [], "\n".join(problems)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert errors == [], [r.getMessage() for r in errors]
