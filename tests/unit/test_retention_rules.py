"""Retention as pure rules: when a review's content is due for removal, whose names go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cetr_bot.domain import ReviewStatus
from cetr_bot.retention_rules import (
    Keep,
    RetentionPolicy,
    ReviewFacts,
    closed_at,
    decide,
    due_reviews,
    people_to_anonymise,
    remove_after,
)

CLOSED = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)
TWELVE = RetentionPolicy(months=12)


def test_closed_means_report_sent_or_cancelled():
    assert closed_at(ReviewFacts(1, ReviewStatus.SCHEDULED)) is None
    assert closed_at(ReviewFacts(1, ReviewStatus.HELD)) is None  # report still to send
    assert closed_at(ReviewFacts(1, ReviewStatus.HELD, report_sent_at=CLOSED)) == CLOSED
    assert closed_at(ReviewFacts(1, ReviewStatus.CANCELLED, cancelled_at=CLOSED)) == CLOSED


def test_remove_after_counts_calendar_months():
    assert remove_after(CLOSED, TWELVE) == datetime(2027, 1, 31, 10, 0, tzinfo=UTC)
    assert remove_after(CLOSED, RetentionPolicy(1)) == datetime(2026, 2, 28, 10, 0, tzinfo=UTC)


def test_due_only_once_closed_long_enough_and_not_on_hold():
    held = ReviewFacts(7, ReviewStatus.HELD, report_sent_at=CLOSED)
    after = remove_after(CLOSED, TWELVE)
    assert decide(held, after - timedelta(seconds=1), TWELVE).keep is Keep.NOT_YET
    assert decide(held, after, TWELVE).keep is Keep.DUE and decide(held, after, TWELVE).due
    on_hold = ReviewFacts(7, ReviewStatus.HELD, report_sent_at=CLOSED, on_hold=True)
    assert decide(on_hold, after + timedelta(days=900), TWELVE).keep is Keep.ON_HOLD
    open_ = ReviewFacts(8, ReviewStatus.HELD)
    assert decide(open_, after + timedelta(days=900), TWELVE).keep is Keep.OPEN
    gone = ReviewFacts(9, ReviewStatus.CANCELLED, cancelled_at=CLOSED, data_removed_at=after)
    assert decide(gone, after + timedelta(days=1), TWELVE).keep is Keep.REMOVED
    verdicts = [decide(f, after, TWELVE) for f in (held, on_hold, open_, gone)]
    assert due_reviews(verdicts) == (7,)


def test_a_person_keeps_their_name_while_any_review_of_theirs_keeps_its_data():
    theirs = {1: [10], 2: [10, 11], 3: [10, 12], 4: [12]}
    # review 10 is removed now; 12 was removed before; 11 is open or kept
    assert people_to_anonymise(theirs, [10], already_removed=[12]) == (1, 3)
    # person 4's only review went earlier: not this run's business
    assert people_to_anonymise({4: [12]}, [10], already_removed=[12]) == ()
    assert people_to_anonymise({5: []}, [10]) == ()


def test_a_register_entry_is_due_months_after_leaving_unless_held():
    from datetime import date

    from cetr_bot.retention_rules import EntryFacts, decide_entry

    left = date(2026, 1, 31)
    assert decide_entry(EntryFacts(1, None), date(2040, 1, 1), TWELVE).keep is Keep.OPEN
    assert decide_entry(EntryFacts(1, left), date(2027, 1, 30), TWELVE).keep is Keep.NOT_YET
    due = decide_entry(EntryFacts(1, left), date(2027, 1, 31), TWELVE)
    assert due.due and due.remove_after == date(2027, 1, 31)
    held = decide_entry(EntryFacts(1, left, on_hold=True), date(2030, 1, 1), TWELVE)
    assert held.keep is Keep.ON_HOLD and not held.due
    gone = EntryFacts(1, left, data_removed_at=CLOSED)
    assert decide_entry(gone, date(2030, 1, 1), TWELVE).keep is Keep.REMOVED


def test_web_sign_ins_go_a_day_after_they_finished():
    from cetr_bot.retention_rules import web_cutoffs

    cut = web_cutoffs(CLOSED, idle_minutes=30)
    assert cut.finished_before == CLOSED - timedelta(hours=24)
    assert cut.idle_before == CLOSED - timedelta(hours=24, minutes=30)


def test_every_leaving_code_fits_the_change_history_column():
    from cetr_bot.domain import DsrLeft
    from cetr_bot.storage.models_dsr import DsrChange, DsrEntry

    limit = min(DsrChange.__table__.c.new.type.length, DsrEntry.__table__.c.left_why.type.length)
    assert all(len(code.value) <= limit for code in DsrLeft)
