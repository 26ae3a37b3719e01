"""A hostile-input corpus, by class: odd ids, forged buttons, odd and over-long text,
media where text is expected, edited messages, group chats, bad links.

Every case: the bot answers (a kind line, never "something went wrong"), the
database is unchanged (but for the audit trail and the link-guess counter) and no
ERROR or traceback reaches the log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest

from cetr_bot.domain import Role
from cetr_bot.sandbox import SandboxClient, SandboxUser
from tests.security.matrix import SENSITIVE
from tests.security.world import (
    COORDINATOR,
    STRANGER_ID,
    World,
    build_world,
    changed_tables,
    snapshot,
    user_id_for,
)

INTERNAL = "went wrong"
GROUP = -100777


@dataclass(frozen=True)
class Case:
    name: str
    who: str  # "coordinator", "young-person", "family", "stranger"
    how: str  # "send", "press", "media", "edit", "group", "group-press"
    payload: str
    expect: str = ""  # a phrase the answer must contain ("" = any kind line)


def odd_ids() -> list[Case]:
    numbers = ["²", "١٢", "1²", "0x1", "-1", "1.0", "9" * 12, "①"]
    commands = ["/review {n}", "/pack {n}", "/held {n}", "/actions {n}", "/invite {n} family"]
    cases = [
        Case(f"{c} with {n!r}", "coordinator", "send", c.format(n=n))
        for c in commands
        for n in numbers[:4]
    ]
    more = [
        "/action A²",
        "/action A١",
        "/reschedule ¹",
        "/cancelreview ³",
        "/addaction ⁴",
        "/reportsent ٥",
        "/feedback ²",
        "/writefeedback ²",
        "/approve P²",
        "/approve P-1",
        "/bestinterests ² a reason",
        "/review " + "9" * 12,
        "/pack -1",
        "/held 1.0",
        "/review ①",
    ]
    return cases + [Case(f"{t!r}", "coordinator", "send", t) for t in more]


def forged_buttons() -> list[Case]:
    data = [
        "x",
        "pr",
        "pr:",
        "pr:go:²",
        "pr:go:-1",
        "pr:a:{YP}:../../etc:0",
        "at:²:in_person",
        "at:{YP}:evil",
        "cx:{S}:yes:extra",
        "rv:" + "9" * 60,
        "nr:type:<script>",
        "ao:{A}:done:999999",
        "fb:²:0:0",
        "yf:x",
        "zz:1",
        "ap:²",
        "inv:{S}:notarole",
        "am:{A}:cancel:x",
        "pr:cs:{YP}:answers:maybe:0",
        "at:{YP_OTHER}:in_person",
        "pr:send:{YP_OTHER}",
        "ao:{A}:done:0",
    ]
    return [Case(f"button {d!r}", "family", "press", d) for d in data]


def odd_text() -> list[Case]:
    return [
        Case("over-long /concern on one line", "family", "send", "/concern " + "x" * 3500, "3000"),
        Case("/digest at 25:99", "family", "send", "/digest 25:99"),
        Case("/digest in words", "family", "send", "/digest whenever"),
        Case("invite a role that does not exist", "coordinator", "send", "/invite {S} wizard"),
        Case("best interests without a reason", "coordinator", "send", "/bestinterests {S}"),
        Case("held on a date that does not exist", "coordinator", "send", "/held {P} 32/13/2026"),
        Case("held on a date in the future", "coordinator", "send", "/held {P} 01/01/2030"),
        Case("text when nothing is expected", "stranger", "send", "hello"),
        Case("zero-width characters only", "stranger", "send", "\u200b\u200b\u200b"),
        Case("bidirectional overrides only", "stranger", "send", "\u202e\u202d\u2066"),
        Case("HTML when nothing is expected", "stranger", "send", "<b>hi</b><script>x</script>"),
        Case("a long unknown command", "stranger", "send", "/" + "a" * 60),
        Case("an unknown command", "young-person", "send", "/rm -rf"),
        Case("a coordinator command from a young person", "young-person", "send", "/review {S}"),
        Case("/start with a short bad token", "stranger", "send", "/start x"),
        Case("/start with a long bad token", "stranger", "send", "/start " + "A" * 64),
        Case("/start with a path", "stranger", "send", "/start ../../etc/passwd"),
        Case("/start with markup", "stranger", "send", "/start <script>"),
        Case("/start with an emoji", "stranger", "send", "/start 🤖🤖🤖🤖🤖🤖🤖🤖🤖🤖🤖🤖🤖🤖🤖🤖"),
        Case(
            "/start with a well-formed unknown token",
            "stranger",
            "send",
            "/start AbCdEfGhIjKlMnOpQrStUvWxYz012345",
        ),
        Case("/pack for someone else's review", "family", "send", "/pack {S}"),
        Case("/action for someone else's action", "young-person", "send", "/action A{A}"),
    ]


def media() -> list[Case]:
    kinds = ["sticker", "photo", "location", "document", "contact", "voice"]
    return [Case(f"a {k} out of the blue", "stranger", "media", k) for k in kinds] + [
        Case(f"a {k} to the coordinator", "coordinator", "media", k) for k in kinds[:3]
    ]


def edits() -> list[Case]:
    return [
        Case("an edited /start with a link", "stranger", "edit", "/start {TOKEN}", "changed"),
        Case("an edited /review", "coordinator", "edit", "/review {S}", "changed"),
        Case("an edited answer", "family", "edit", "we are worried", "changed"),
    ]


def groups() -> list[Case]:
    return [
        Case("/start in a group", "family", "group", "/start", "private chat"),
        Case("/review in a group", "coordinator", "group", "/review {S}", "private chat"),
        Case("/pack in a group", "coordinator", "group", "/pack {S}", "private chat"),
        Case("text in a group", "young-person", "group", "hello", "private chat"),
        Case("a button in a group", "coordinator", "group-press", "rv:{S}"),
    ]


CORPUS = odd_ids() + forged_buttons() + odd_text() + media() + edits() + groups()


def test_the_corpus_is_big_enough():
    assert len(CORPUS) >= 80
    assert len({c.name for c in CORPUS}) == len(CORPUS), "case names must be unique"


def values(world: World, token: str) -> dict[str, object]:
    return {
        "S": world.scheduled,
        "P": world.past,
        "A": world.action_id,
        "YP": world.participant_ids[(world.scheduled, Role.FAMILY)],
        "YP_OTHER": world.participant_ids[(world.scheduled, Role.YOUNG_PERSON)],
        "TOKEN": token,
    }


async def run(client: SandboxClient, user: SandboxUser, case: Case, anchor: int, v) -> str:  # type: ignore[no-untyped-def]
    payload = case.payload.format(**v)
    if case.how == "send":
        await user.send(payload)
        got = await user.wait_for(1, timeout=20)
    elif case.how == "media":
        await user.send_media(payload)
        got = await user.wait_for(1, timeout=20)
    elif case.how == "edit":
        await user.edit(anchor, payload)
        got = await user.wait_for(1, timeout=20)
    elif case.how == "press":
        seen = len(await user.answers())
        await user.press_data(anchor, payload, forge=True)
        got = await user.settle()
        answers = await user.answers()
        assert len(answers) > seen, "the press was never answered"
    else:
        group = user.in_group(GROUP - len(case.name))
        if case.how == "group":
            await group.send(payload)
            got = await group.wait_for(1, timeout=20)
        else:
            [said] = await group.ask("hi")  # the bot's one line there, to press on
            seen = len(await user.answers())
            await group.press_data(said.message_id, payload, forge=True)
            got = await group.settle()
            assert len(await user.answers()) > seen or got == [], "the press was not answered"
    got += await user.settle()  # the bot is idle: all it sent is in
    return "\n".join(m.plain for m in got)


WHO = ("coordinator", "young-person", "family", "stranger")


def test_every_case_has_someone_to_try_it():
    assert {c.who for c in CORPUS} == set(WHO)


@pytest.mark.timeout(300)  # dozens of round trips: slower than one flow
@pytest.mark.parametrize("who", WHO)
async def test_hostile_input_changes_nothing_and_is_answered_kindly(bot, client, svc, caplog, who):  # type: ignore[no-untyped-def]
    """One test per sender (each in a world of its own, so pytest-xdist can spread them)."""
    caplog.set_level(logging.INFO)
    world = await build_world(svc)
    bot.app.job_queue.scheduler.pause()
    from tests.helpers import invite  # a fresh, valid link for the edited /start case

    token = (await invite(svc, world.scheduled, Role.OTHER)).token
    v = values(world, token)
    ids = {
        "coordinator": COORDINATOR,
        "young-person": user_id_for(Role.YOUNG_PERSON),
        "family": user_id_for(Role.FAMILY),
        "stranger": STRANGER_ID,
    }
    user = client.user(ids[who], first_name="X")
    anchor = (await user.ask("/help"))[0].message_id
    # The user's own message to edit later (sent now, so it is not part of any case).
    original = int((await user.send("ok"))["message_id"])
    await user.settle()
    assert await bot.until_idle()  # a dispatch tick begun before the pause is over
    cases = [c for c in CORPUS if c.who == who]
    problems = []
    for case in cases:
        before = await snapshot(svc)
        reply = await run(client, user, case, original if case.how == "edit" else anchor, v)
        changed = changed_tables(before, await snapshot(svc))
        if changed:
            problems.append(f"{case.name}: changed {changed}")
        if INTERNAL in reply:
            problems.append(f"{case.name}: internal error shown: {reply[:120]!r}")
        if case.expect and case.expect not in reply:
            problems.append(f"{case.name}: expected {case.expect!r} in {reply[:160]!r}")
        if case.how not in ("press", "group-press") and not reply.strip():
            problems.append(f"{case.name}: no answer")
        if case.who != "coordinator" and any(s in reply for s in SENSITIVE):
            problems.append(f"{case.name}: sensitive content in {reply[:160]!r}")
    left = await client.left_chats()
    assert len([c for c in left if c < 0]) >= len([c for c in cases if c.how == "group"])
    assert problems == [], "\n".join(problems)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert errors == [], [r.getMessage() for r in errors]
