"""A review with someone in every role, seeded through the services, and a way to
tell whether anything in the database changed.

The world: review S (scheduled, three weeks ahead), review P (its time has come but it
is not marked held yet), review H (held, with one action owned by the social worker).
Everyone in a role has joined all three; a stranger, a coordinator of another team and
an administrator have joined nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from cetr_bot.domain import ReminderKind, ReviewType, Role
from cetr_bot.services import actions, attendance, invitations, reviews, teams
from cetr_bot.services.context import Actor, Services
from cetr_bot.storage.registry import Base
from tests.conftest import COORDINATOR_ID
from tests.helpers import CLI

STRANGER_ID = 9001
OTHER_COORDINATOR_ID = 9002
ADMIN = 9003
PANEL_DEPUTY_ID = 5900
REF = "YP-SEC"
# Rows that may change when something is refused: the refusal is audited, a wrong
# link counts towards throttling. Nothing else may move.
MAY_CHANGE_ON_REFUSAL = frozenset({"audit_events", "start_attempts"})
# A panel member asking for papers that are held back: the coordinator is told who asked.
TOLD_ON_REFUSAL = frozenset({ReminderKind.COORD_PACK_ASKED.value})


def user_id_for(role: Role) -> int:
    return 5000 + list(Role).index(role)


@dataclass
class World:
    scheduled: int
    past: int
    held: int
    action_id: int
    panel_deputy: int = 0
    participant_ids: dict[tuple[int, Role], int] = field(default_factory=dict)


async def build_world(svc: Services) -> World:
    now = svc.now()
    past = await _review(svc, f"{REF}-P", now + timedelta(days=1))
    held = await _review(svc, f"{REF}-H", now + timedelta(days=1))
    scheduled = await _review(svc, f"{REF}-S", now + timedelta(days=21))
    world = World(scheduled, past, held, action_id=0)
    for review_id in (past, held, scheduled):
        for role in Role:
            world.participant_ids[(review_id, role)] = await _join(svc, review_id, role)
    svc.clock.advance(days=2)  # type: ignore[attr-defined]
    today = svc.now().date()
    await actions.mark_held(svc, CLI, review_id=held, held_on=today - timedelta(days=1))
    owner = world.participant_ids[(held, Role.SOCIAL_WORKER)]
    view = await actions.add_action(
        svc,
        CLI,
        review_id=held,
        owner_participant_id=owner,
        what="Find a school place near home",
        due_on=today + timedelta(days=30),
    )
    world.action_id = view.id
    world.panel_deputy = await _panel_deputy(svc, world)
    # Another commissioning team with its own coordinator, and an administrator.
    await teams.add_team(svc, CLI, "north")
    await teams.add_coordinator(svc, CLI, telegram_user_id=OTHER_COORDINATOR_ID, team="north")
    await teams.add_admin(svc, CLI, telegram_user_id=ADMIN)
    return world


async def _panel_deputy(svc: Services, world: World) -> int:
    """The chair of review S cannot come and sends someone: not approved yet."""
    chair = Actor(user_id_for(Role.PANEL_CHAIR), user_id_for(Role.PANEL_CHAIR))
    chair_place = world.participant_ids[(world.scheduled, Role.PANEL_CHAIR)]
    await attendance.record(svc, chair, participant_id=chair_place, status="cannot")
    link = await attendance.send_deputy(svc, chair, participant_id=chair_place)
    token = link.link.rsplit("start=", 1)[1]
    actor = Actor(PANEL_DEPUTY_ID, PANEL_DEPUTY_ID, "Deputy")
    joined = await invitations.redeem(svc, actor, token=token)
    return joined.participant_id


async def _review(svc: Services, ref: str, at) -> int:  # type: ignore[no-untyped-def]
    created = await reviews.create_review(
        svc,
        CLI,
        ref=ref,
        review_type=ReviewType.INPATIENT,
        at=at,
        location="Video call",
        date_of_birth=date(2011, 5, 1),
        admitted_on=date(2026, 8, 1),
    )
    return created.review_id


async def _join(svc: Services, review_id: int, role: Role) -> int:
    invite = await invitations.create_invitation(svc, CLI, review_id=review_id, role=role)
    uid = user_id_for(role)
    actor = Actor(uid, uid, f"N{list(Role).index(role)}")
    joined = await invitations.redeem(svc, actor, token=invite.token)
    return joined.participant_id


async def snapshot(svc: Services) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table (but those a refusal may touch), in key order."""
    tables: dict[str, list[tuple[object, ...]]] = {}
    async with svc.db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in MAY_CHANGE_ON_REFUSAL:
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            query = select(table).order_by(*order)
            if table.name == "reminders":
                query = query.where(table.c.kind.not_in(TOLD_ON_REFUSAL))
            rows = await session.execute(query)
            tables[table.name] = [tuple(row) for row in rows]
    return tables


def changed_tables(before: dict, after: dict) -> list[str]:  # type: ignore[type-arg]
    return [name for name in before if before[name] != after.get(name)]


COORDINATOR = COORDINATOR_ID
