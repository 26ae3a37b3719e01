"""Retention on the command line with a controlled clock: a closed review past the
retention date loses its free text and names but keeps counts; an open review, or one on
legal hold, keeps everything; someone still in another open review keeps their name;
the dry run changes nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from cetr_bot.cli import main
from cetr_bot.domain import Role
from cetr_bot.services import reviews
from cetr_bot.services.context import Services
from cetr_bot.storage.models import AuditEvent, Person, Review
from cetr_bot.storage.models_actions import Action, ActionUpdate
from cetr_bot.storage.models_preparation import PrepAnswer, PrepFlag
from cetr_bot.storage.models_retention import ReviewCount
from tests.conftest import FakeClock
from tests.governance.helpers import SECRET, close, join_review, seeded_review
from tests.helpers import CLI, add_review

YEAR_AND_A_DAY = {"days": 367}


async def _snapshot(svc: Services) -> dict[str, object]:
    """Every free-text and identifying value retention may touch."""
    async with svc.db.transaction() as session:
        return {
            "answers": sorted(
                (a.participant_id, a.question_id, a.kind, a.value)
                for a in await session.scalars(select(PrepAnswer))
            ),
            "flags": sorted((f.id, f.text or "") for f in await session.scalars(select(PrepFlag))),
            "actions": sorted((a.id, a.what) for a in await session.scalars(select(Action))),
            "updates": sorted(
                (u.id, u.text or "") for u in await session.scalars(select(ActionUpdate))
            ),
            "people": sorted(
                (p.id, p.telegram_user_id, p.preferred_name or "")
                for p in await session.scalars(select(Person))
            ),
            "reviews": sorted(
                (r.id, r.location or "", str(r.data_removed_at))
                for r in await session.scalars(select(Review))
            ),
        }


def _text_of(snapshot: dict[str, object]) -> str:
    return json.dumps(snapshot, default=str)


def test_closed_review_past_retention_loses_free_text_keeps_counts(
    env, capsys, do, clock: FakeClock
):
    seeded = do(lambda s: seeded_review(s))
    do(lambda s: close(s, seeded.review_id))
    clock.advance(days=300)
    assert main(["retention", "--dry-run"]) == 0
    assert "Nothing is due for removal." in capsys.readouterr().out
    clock.advance(days=70)  # now more than 12 months after the report was sent
    before = do(lambda s: _snapshot(s))
    assert SECRET in _text_of(before) and "Lee" in _text_of(before)
    assert main(["retention", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "dry run: nothing changed" in out and f"#{seeded.review_id}" in out
    assert "answers_text: 1" in out and "voice_notes: 1" in out and "flag_texts: 1" in out
    assert "action_updates: 1" in out and "people: 2" in out
    assert do(lambda s: _snapshot(s)) == before  # the dry run changed nothing

    assert main(["retention"]) == 0
    assert "Removed:" in capsys.readouterr().out
    after = do(lambda s: _snapshot(s))
    assert SECRET not in _text_of(after)
    assert "AwACAgQAAx0voice" not in _text_of(after)
    names = [name for _, _, name in after["people"]]  # type: ignore[union-attr]
    assert names and all(name == "" for name in names)
    assert all(tg < 0 for _, tg, _ in after["people"])  # type: ignore[union-attr]
    assert all(location == "" for _, location, _ in after["reviews"])  # type: ignore[union-attr]

    async def kept(s: Services) -> tuple[dict[str, int], list[AuditEvent]]:
        async with s.db.transaction() as session:
            counts = {
                c.kind: c.count
                for c in await session.scalars(
                    select(ReviewCount).where(ReviewCount.review_id == seeded.review_id)
                )
            }
            events = list(await session.scalars(select(AuditEvent)))
            return counts, events

    counts, events = do(kept)
    assert counts["participants"] == 2 and counts["answers"] == 2
    assert counts["answers_text"] == 2 and counts["actions"] == 1
    assert counts["action_updates"] >= 1 and counts["flags_rights"] == 1
    removed = [e for e in events if e.kind == "retention_removed"]
    assert len(removed) == 1 and removed[0].review_id == seeded.review_id
    assert removed[0].detail["counts"]["answers_text"] == 1
    assert {e.kind for e in events} >= {"retention_dry_run", "retention_run", "person_anonymised"}
    assert SECRET not in json.dumps([e.detail for e in events])
    # a second run finds nothing more to do
    assert main(["retention"]) == 0
    assert "Nothing is due for removal." in capsys.readouterr().out


def test_open_and_held_reviews_keep_everything_until_the_hold_is_released(
    env, capsys, do, clock: FakeClock
):
    on_hold = do(lambda s: seeded_review(s, ref="YP-1", clinician=2003, family=2001))
    do(lambda s: close(s, on_hold.review_id))
    still_open = do(lambda s: seeded_review(s, ref="YP-2", clinician=2013, family=2011))
    assert main(["review", "hold-data", str(on_hold.review_id), "--reason", "court order"]) == 0
    assert "legal hold" in capsys.readouterr().out
    assert main(["review", "hold-data", str(on_hold.review_id), "--reason", "again"]) == 1
    assert "already on legal hold" in capsys.readouterr().err
    clock.advance(**YEAR_AND_A_DAY)
    before = do(lambda s: _snapshot(s))
    assert main(["retention", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert (
        "Nothing is due for removal." in out and f"Kept on legal hold: #{on_hold.review_id}" in out
    )
    assert main(["retention"]) == 0
    assert do(lambda s: _snapshot(s)) == before  # nothing removed: one held, one open

    assert main(["review", "release-data", str(on_hold.review_id), "--reason", "case closed"]) == 0
    capsys.readouterr()
    assert main(["retention"]) == 0
    assert f"#{on_hold.review_id}" in capsys.readouterr().out
    after = do(lambda s: _snapshot(s))
    # the released review's text is gone; the open review's text is all still there
    open_answers = [a for a in after["answers"] if a[0] in still_open.participants.values()]  # type: ignore[union-attr]
    assert any(SECRET in str(a) for a in open_answers)
    held_answers = [a for a in after["answers"] if a[0] in on_hold.participants.values()]  # type: ignore[union-attr]
    assert held_answers and not any(SECRET in str(a) for a in held_answers)


def test_someone_still_in_another_open_review_keeps_their_name(env, capsys, do, clock: FakeClock):
    closed = do(lambda s: seeded_review(s, ref="YP-1"))
    do(lambda s: close(s, closed.review_id))
    # Lee (the clinician, 2003) is also invited to a review booked for much later
    later = do(lambda s: add_review(s, ref="YP-3", at=s.now() + timedelta(days=500)))
    do(lambda s: join_review(s, later, Role.CLINICIAN, 2003, "Lee"))
    clock.advance(**YEAR_AND_A_DAY)
    assert main(["retention"]) == 0
    capsys.readouterr()
    people = {tg: name for _, tg, name in do(lambda s: _snapshot(s))["people"]}  # type: ignore[union-attr]
    assert people[2003] == "Lee"  # still in an open review
    assert 2001 not in people and "Ana" not in people.values()  # the family member's gone


def test_a_cancelled_review_counts_from_its_cancellation(env, capsys, do, clock: FakeClock):
    review_id = do(lambda s: add_review(s, ref="YP-9", location="Ward 7, Rose Hospital"))
    clock.advance(days=30)
    do(lambda s: reviews.cancel_review(s, CLI, review_id=review_id))
    clock.advance(days=360)  # 12 months from booking, not from cancelling
    assert main(["retention", "--dry-run"]) == 0
    assert "Nothing is due for removal." in capsys.readouterr().out
    clock.advance(days=10)
    assert main(["retention"]) == 0
    assert f"#{review_id}" in capsys.readouterr().out
    assert "Rose Hospital" not in _text_of(do(lambda s: _snapshot(s)))


@pytest.mark.parametrize("bad", ["", "   "])
def test_a_hold_needs_a_reason(env, capsys, do, bad):
    review_id = do(lambda s: add_review(s))
    assert main(["review", "hold-data", str(review_id), "--reason", bad]) == 1
    assert "reason" in capsys.readouterr().err
