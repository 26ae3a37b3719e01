"""The audit trail: each main view of personal data and each change leaves an event
(ids, never content); the trail is read with `cetr-bot audit`; nobody can change it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from cetr_bot.cli import main
from cetr_bot.domain import Role
from cetr_bot.services import (
    actions,
    audit_trail,
    feedback,
    pack,
    preparation_reads,
    reviews,
    safeguarding,
)
from cetr_bot.services.context import Actor, Services
from cetr_bot.services.errors import NotAllowed, NotFound
from cetr_bot.storage.models import AuditEvent
from tests.conftest import COORDINATOR_ID
from tests.governance.helpers import SECRET, Seeded, seeded_review
from tests.helpers import CLI

COORDINATOR = Actor(COORDINATOR_ID, COORDINATOR_ID, "Cora")


async def _events(svc: Services) -> list[AuditEvent]:
    async with svc.db.transaction() as session:
        return list(await session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


async def _view_review(svc: Services, s: Seeded) -> None:
    await reviews.review_detail(svc, COORDINATOR, s.review_id)


async def _answers(svc: Services, s: Seeded) -> None:
    await preparation_reads.answers_for_coordinator(svc, COORDINATOR, s.review_id)


async def _pack(svc: Services, s: Seeded) -> None:
    await pack.pack_for(svc, COORDINATOR, review_id=s.review_id)


async def _flag(svc: Services, s: Seeded) -> None:
    await safeguarding.read_flag(svc, COORDINATOR, s.flag_id)


async def _actions(svc: Services, s: Seeded) -> None:
    await actions.list_actions(svc, COORDINATOR, review_id=s.review_id)


async def _action(svc: Services, s: Seeded) -> None:
    await actions.show_action(svc, COORDINATOR, action_id=s.action_id)


async def _feedback(svc: Services, s: Seeded) -> None:
    await feedback.for_coordinator(svc, COORDINATOR, review_id=s.review_id)


async def _trail(svc: Services, s: Seeded) -> None:
    await audit_trail.review_audit(svc, COORDINATOR, s.review_id)


MAIN_VIEWS = [
    (_view_review, "review_viewed"),
    (_answers, "answers_read"),
    (_pack, "pack_read"),
    (_flag, "flag_read"),
    (_actions, "actions_listed"),
    (_action, "action_viewed"),
    (_feedback, "feedback_read"),
    (_trail, "review_audit_read"),
]


@pytest.mark.parametrize(("view", "kind"), MAIN_VIEWS, ids=[k for _, k in MAIN_VIEWS])
async def test_each_main_view_of_personal_data_is_audited(svc: Services, view, kind):
    seeded = await seeded_review(svc)
    before = len(await _events(svc))
    await view(svc, seeded)
    new = (await _events(svc))[before:]
    mine = [e for e in new if e.kind == kind]
    assert len(mine) == 1, [e.kind for e in new]
    event = mine[0]
    assert event.review_id == seeded.review_id
    assert event.telegram_user_id == COORDINATOR_ID and event.actor_role == "coordinator"
    assert SECRET not in json.dumps(event.detail)  # never the content


async def test_answers_and_their_edits_are_audited_without_content(svc: Services):
    seeded = await seeded_review(svc)
    events = await _events(svc)
    recorded = [e for e in events if e.kind == "answer_recorded"]
    assert len(recorded) == 1
    assert recorded[0].review_id == seeded.review_id and recorded[0].person_id is not None
    assert recorded[0].actor_role == str(Role.CLINICIAN)
    assert recorded[0].detail["answer_kind"] == "text"
    assert all(SECRET not in json.dumps(e.detail) for e in events)


async def test_another_teams_coordinator_and_a_participant_cannot_read_the_trail(svc):
    seeded = await seeded_review(svc)
    with pytest.raises(NotAllowed):
        await audit_trail.review_audit(svc, seeded.actors[Role.FAMILY], seeded.review_id)
    with pytest.raises(NotAllowed):
        await audit_trail.audit_log(svc, seeded.actors[Role.FAMILY])
    with pytest.raises(NotFound):
        await audit_trail.review_audit(svc, COORDINATOR, seeded.review_id + 99)


async def test_the_database_refuses_to_change_or_delete_audit_rows(svc: Services):
    """A trigger on PostgreSQL and on SQLite (migration 0013)."""
    await seeded_review(svc)
    for statement in (
        "UPDATE audit_events SET kind = 'nothing'",
        "DELETE FROM audit_events",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with svc.db.transaction() as session:
                await session.execute(text(statement))
    kinds = {e.kind for e in await _events(svc)}
    assert "review_created" in kinds and "nothing" not in kinds


def test_the_application_never_updates_or_deletes_audit_rows():
    """No code path touches audit_events except to insert (and select)."""
    root = Path(__file__).resolve().parents[2] / "cetr_bot"
    for source in root.rglob("*.py"):
        code = source.read_text(encoding="utf-8")
        for bad in ("update(AuditEvent", "delete(AuditEvent", "UPDATE audit_events",
                    "DELETE FROM audit_events"):  # fmt: skip
            assert bad not in code, f"{source}: {bad}"


def test_cli_audit_json_and_table_with_filters(env, capsys, do):

    seeded = do(lambda s: seeded_review(s))
    do(lambda s: reviews.review_detail(s, CLI, seeded.review_id))
    assert main(["review", "show", str(seeded.review_id)]) == 0
    capsys.readouterr()
    assert main(["audit", "--review", str(seeded.review_id), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    kinds = [r["kind"] for r in rows]
    assert kinds[0] == "review_created" and kinds.count("review_viewed") == 2
    viewed = [r for r in rows if r["kind"] == "review_viewed"]
    assert {r["actor_role"] for r in viewed} == {"operator"}
    assert all(r["review_id"] == seeded.review_id for r in rows)
    assert SECRET not in json.dumps(rows)
    # --person: about them or by them (the clinician answered)
    clinician = next(r["person_id"] for r in rows if r["kind"] == "answer_recorded")
    assert main(["audit", "--person", str(clinician), "--format", "json"]) == 0
    theirs = json.loads(capsys.readouterr().out)
    assert theirs and all(
        r["person_id"] == clinician or r["actor_person_id"] == clinician for r in theirs
    )
    assert main(["audit", "--since", "2999-01-01"]) == 0
    assert "No audit events match." in capsys.readouterr().out
    assert main(["audit", "--review", str(seeded.review_id)]) == 0
    table = capsys.readouterr().out
    assert "review_created" in table and f"review #{seeded.review_id}" in table
    # reading the trail is itself in the trail
    assert main(["audit", "--format", "json"]) == 0
    assert "audit_read" in [r["kind"] for r in json.loads(capsys.readouterr().out)]


@pytest.mark.parametrize(
    "command", [["audit"], ["retention"], ["review", "hold-data"], ["review", "release-data"]]
)
def test_help(capsys, command):
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    assert "usage: cetr-bot" in capsys.readouterr().out
