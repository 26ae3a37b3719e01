"""A review with every kind of free text in it, set up through the services (and the
preparation walk-through as a participant answers it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from cetr_bot.domain import Role
from cetr_bot.services import actions, invitations, preparation
from cetr_bot.services.context import Actor, Services
from cetr_bot.storage.models import Participant
from cetr_bot.storage.models_actions import ActionUpdate
from cetr_bot.storage.models_preparation import PrepAnswer, PrepFlag
from tests.helpers import CLI, add_review, invite

SECRET = "Grandma Rose knows the ward code"  # free text that must go


@dataclass
class Seeded:
    review_id: int
    participants: dict[Role, int] = field(default_factory=dict)
    actors: dict[Role, Actor] = field(default_factory=dict)
    action_id: int = 0
    flag_id: int = 0


async def join_review(svc: Services, review_id: int, role: Role, uid: int, name: str) -> Actor:
    actor = Actor(uid, uid, name)
    created = await invite(svc, review_id, role)
    await invitations.redeem(svc, actor, token=created.token)
    return actor


async def answer_first(svc: Services, actor: Actor, participant_id: int, text: str) -> None:
    """Open the walk-through and type the first answer (a clinician's first is text)."""
    await preparation.open_walkthrough(svc, actor, participant_id)
    shown = await preparation.answer_text(svc, actor, text)
    assert shown is not None and getattr(shown, "error", None) is None


async def seeded_review(
    svc: Services, *, ref: str = "YP-0042", clinician: int = 2003, family: int = 2001
) -> Seeded:
    """A review held today, with a clinician (Lee) and a family member (Ana) who have
    answered in their own words, a voice note, a rights concern in words, and an action
    with an update."""
    seeded = Seeded(await add_review(svc, ref=ref, at=svc.now() + timedelta(hours=1)))
    for role, uid, name in ((Role.CLINICIAN, clinician, "Lee"), (Role.FAMILY, family, "Ana")):
        seeded.actors[role] = await join_review(svc, seeded.review_id, role, uid, name)
    async with svc.db.transaction() as session:
        for pid, role in await session.execute(
            select(Participant.id, Participant.role).where(
                Participant.review_id == seeded.review_id
            )
        ):
            seeded.participants[Role(role)] = pid
    await answer_first(
        svc, seeded.actors[Role.CLINICIAN], seeded.participants[Role.CLINICIAN], SECRET
    )
    family_pid = seeded.participants[Role.FAMILY]
    async with svc.db.transaction() as session:
        voice = PrepAnswer(participant_id=family_pid, question_id="q_voice", kind="voice",
                           value="AwACAgQAAx0voice", answered_at=svc.now())  # fmt: skip
        session.add(voice)
        flag = PrepFlag(review_id=seeded.review_id, participant_id=family_pid, kind="rights",
                        source="concern", text=SECRET, raised_at=svc.now())  # fmt: skip
        session.add(flag)
        await session.flush()
        seeded.flag_id = flag.id
    await actions.mark_held(svc, CLI, review_id=seeded.review_id, held_on=svc.now().date())
    view = await actions.add_action(
        svc, CLI, review_id=seeded.review_id, due_on=svc.now().date() + timedelta(days=30),
        owner_participant_id=seeded.participants[Role.CLINICIAN], what=f"Ask {SECRET}",
    )  # fmt: skip
    seeded.action_id = view.id
    async with svc.db.transaction() as session:
        session.add(ActionUpdate(action_id=view.id, kind="update", text=SECRET, at=svc.now()))
    return seeded


async def close(svc: Services, review_id: int) -> None:
    """Its report sent (seeded reviews are held already): the review is closed."""
    await actions.mark_report_sent(svc, CLI, review_id=review_id)
