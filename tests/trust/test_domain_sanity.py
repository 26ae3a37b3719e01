"""Domain sanity through the sandbox and the command line: a review is held only once it
has started (or with a past date); the young person keeps their place after it is held;
a reference that is a name is refused; the help after a safety answer names only people
the review has; the coordinator reads the question, not its internal id."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cetr_bot.domain import ReviewStatus, ReviewType, Role
from cetr_bot.services import actions, reviews
from cetr_bot.storage.models import Review
from cetr_bot.storage.models_preparation import PrepFlag
from tests.cli.test_cli import env, run  # noqa: F401 - the fixture is used by name
from tests.conftest import COORDINATOR_ID
from tests.helpers import CLI, add_review, invite, join
from tests.preparation.helpers import (
    START,
    consent_yes,
    join_as,
    new_review,
    questions,
    skip_all,
)

COMMUNITY = ReviewType.COMMUNITY

NOT_STARTED = "has not started yet"
NAME_REFUSED = "initials or a case number"


async def _review(svc, review_id: int) -> Review:
    async with svc.db.transaction() as session:
        return await session.get_one(Review, review_id)


# --- held only once it has started ----------------------------------------------------------


async def test_held_is_refused_for_a_review_still_weeks_away(bot, client, svc):
    review_id = await add_review(svc)  # three weeks ahead
    coord = client.user(COORDINATOR_ID)
    [reply] = await coord.ask(f"/held {review_id}")
    assert NOT_STARTED in reply.plain and "Monday 14 December 2026" in reply.plain
    review = await _review(svc, review_id)
    assert review.status == ReviewStatus.SCHEDULED and review.held_on is None
    [reply] = await coord.ask(f"/addaction {review_id}")
    assert "recorded once the review has been held" in reply.plain  # no clock started
    [reply] = await coord.ask(f"/held {review_id} 01/12/2026")
    assert "in the future" in reply.plain
    # The meeting was brought forward: a past date says when it really happened.
    [reply] = await coord.ask(f"/held {review_id} 20/11/2026")
    assert "marked as held" in reply.plain
    review = await _review(svc, review_id)
    assert review.status == ReviewStatus.HELD and str(review.held_on) == "2026-11-20"


async def test_held_without_a_date_once_the_review_has_started(bot, client, svc, clock):
    review_id = await add_review(svc, at=svc.now() + timedelta(hours=1))
    coord = client.user(COORDINATOR_ID)
    [reply] = await coord.ask(f"/held {review_id}")
    assert NOT_STARTED in reply.plain
    clock.advance(hours=1, minutes=30)
    [reply] = await coord.ask(f"/held {review_id}")
    assert "marked as held" in reply.plain
    assert (await _review(svc, review_id)).held_on == svc.now().date()


def test_cli_held_refuses_a_review_not_started_unless_given_a_past_date(env, capsys):  # noqa: F811
    run(capsys, "review", "add", "--ref", "YP-5", "--type", "community", "--at", "2099-01-01 10:00")
    code, out, err = run(capsys, "review", "held", "1")
    assert code == 1 and NOT_STARTED in err and "marked as held" not in out
    code, _, err = run(capsys, "review", "held", "1", "--on", "2099-01-01")
    assert code == 1 and "in the future" in err
    code, out, _ = run(capsys, "review", "held", "1", "--on", "2026-11-20")
    assert code == 0 and "marked as held" in out


# --- the young person after the review is held ----------------------------------------------


async def test_young_person_keeps_role_consent_and_feedback_after_held(bot, client, svc, clock):
    review_id = await add_review(svc, at=svc.now() + timedelta(hours=1))
    young = await invite(svc, review_id, Role.YOUNG_PERSON)
    clinician = await invite(svc, review_id, Role.CLINICIAN)
    sam = client.user(2002, first_name="Sam")
    await join(sam, young.token)
    await join(client.user(2003, first_name="Lee"), clinician.token)
    await sam.settle()
    clock.advance(hours=2)
    await client.user(COORDINATOR_ID).ask(f"/held {review_id}")
    await actions.add_action(
        svc,
        CLI,
        review_id=review_id,
        owner_participant_id=clinician.participant_id,
        what="Find a placement near home",
        due_on=svc.now().date() + timedelta(days=14),
    )

    [welcome] = await sam.ask("/start")
    assert "You are part of" in welcome.plain and "(Young person), held" in welcome.plain
    [view] = await sam.ask("/consent")
    assert "Sharing your answers" in view.plain and "Only the young person" not in view.plain
    [saved] = await sam.tap(view.button_labels[0])  # the panel may see my answers: yes
    assert "Only the young person" not in saved.plain and "no longer going ahead" not in saved.plain
    [again] = await sam.ask("/consent")
    assert "The panel can see your answers" in again.plain
    [feedback] = await sam.ask("/myfeedback")
    assert "no feedback from your review yet" in feedback.plain
    assert "only for the young person" not in feedback.plain
    [mine] = await sam.ask("/actions")
    assert "Find a placement near home" in mine.plain
    [done, *_] = await sam.ask("/concern nobody told me about the plan")
    assert "passed it on" in done.plain
    async with svc.db.transaction() as session:
        flag = await session.scalar(select(PrepFlag))
    assert flag is not None and flag.review_id == review_id and flag.kind == "rights"


# --- a reference that is a name ---------------------------------------------------------------


async def test_name_like_references_are_refused_in_the_bot(bot, client, svc):
    other = await add_review(svc, ref="YP-0001")
    await join(client.user(2002, first_name="Sam"), (await invite(svc, other, Role.FAMILY)).token)
    coord = client.user(COORDINATOR_ID)
    await coord.ask("/newreview")
    for name in ("Alex Smith", "alex smith", "Mary-Jane Jones", "sam"):
        refused, again = await coord.ask(name, count=2)
        assert NAME_REFUSED in refused.plain, name
        assert "What reference" in again.plain
    [ask] = await coord.ask("AS-0042")
    assert "What type of review" in ask.plain


def test_name_like_references_are_refused_at_the_command_line(env, capsys):  # noqa: F811
    add = ["review", "add", "--type", "community", "--at", "2099-01-01 10:00", "--ref"]
    code, out, err = run(capsys, *add, "Alex Smith")
    assert code == 1 and NAME_REFUSED in err and out == ""
    for ref in ("YP-0042", "AS", "YP 42", "NHS.123"):
        code, _, err = run(capsys, *add, ref)
        assert code == 0, (ref, err)


def test_the_rule_for_name_like_references():
    for name in ("Alex Smith", "alex smith", "Mary-Jane Jones", "Alex.Smith", "Jo Ann Lee"):
        assert reviews.looks_like_a_name(name), name
    for ref in ("YP-0042", "YP-SECRET", "AS", "A S", "YP Smith 2", "YP", "CETR 2026"):
        assert not reviews.looks_like_a_name(ref), ref


# --- the help after a safety answer names only this review's people ---------------------------


async def test_community_safety_replies_name_no_ward_staff_or_missing_clinician(bot, client, svc):
    review_id = await new_review(svc, ReviewType.COMMUNITY)
    await client.user(COORDINATOR_ID).ask("/start")
    parent = await join_as(
        svc, client, Role.FAMILY, 2001, review_id=review_id, review_type=COMMUNITY
    )
    young = await join_as(
        svc, client, Role.YOUNG_PERSON, 2002, review_id=review_id, review_type=COMMUNITY
    )
    await young.user.tap(START)
    await consent_yes(young.user)
    help_, _ = await young.user.ask("they hold me down at home", count=2)
    assert "Childline" in help_.plain and "999" in help_.plain
    assert "member of staff" not in help_.plain
    assert "Your family" in help_.plain and "adult you trust" in help_.plain

    await parent.user.tap(START)
    bank_ids = [q.id for q in questions(Role.FAMILY, ReviewType.COMMUNITY)]
    await skip_all(parent.user, bank_ids.index("risk_now"))
    help_, _ = await parent.user.tap("👍 Yes", count=2)
    assert "call 999" in help_.plain and "0800 1111" in help_.plain
    for absent in ("nurse in charge", "member of staff", "clinician", "ward"):
        assert absent not in help_.plain, absent
    assert "I have let the review coordinator know." in help_.plain


async def test_with_a_clinician_joined_the_family_hears_the_clinician_was_told(bot, client, svc):
    review_id = await new_review(svc, ReviewType.COMMUNITY)
    await join_as(svc, client, Role.CLINICIAN, 2003, review_id=review_id, review_type=COMMUNITY)
    await join_as(svc, client, Role.SOCIAL_WORKER, 2004, review_id=review_id, review_type=COMMUNITY)
    parent = await join_as(
        svc, client, Role.FAMILY, 2001, review_id=review_id, review_type=COMMUNITY
    )
    done, help_ = await parent.user.ask("/concern staff hit him at the respite unit", count=2)
    assert "passed it on" in done.plain
    assert "the review coordinator and the responsible clinician" in help_.plain
    assert "social worker" in help_.plain and "nurse in charge" not in help_.plain


# --- the coordinator reads the question, not its id ---------------------------------------------


async def test_alert_detail_shows_the_question_text(bot, client, svc):
    review_id = await new_review(svc)
    coordinator = client.user(COORDINATOR_ID)
    await coordinator.ask("/start")
    young = await join_as(svc, client, Role.YOUNG_PERSON, 2002, review_id=review_id)
    await young.user.tap(START)
    await consent_yes(young.user)
    await skip_all(young.user, 3)
    await young.user.tap("👎 No", count=2)
    [alert] = await coordinator.wait_for()
    [detail] = await coordinator.tap("📖 Read it", message=alert)
    assert "Do you feel safe where you are now?" in detail.plain
    assert "feel_safe" not in detail.plain
    [shown] = await coordinator.ask(f"/review {review_id}")
    assert "answering “Do you feel safe where you are now?”" in shown.plain
    assert "feel_safe" not in shown.plain
