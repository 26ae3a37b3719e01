"""Retention as rules: which reviews' free text, and which people's names and Telegram ids,
are due for removal. Pure functions over plain values, beside `cetr_bot.rules`.

A review is closed when it was held and its report sent, or when it was cancelled; it is
open otherwise (scheduled, or held with the report still to send). Its content is due for
removal `months` after it closed, unless a legal hold applies. A person's name and
Telegram ids go only when every review they took part in has had (or is having) its
content removed: someone still in another review, open or kept, keeps their name.

A Dynamic Support Register entry is open while the young person is on the register; its
free text is due for removal `months` after they left it, unless a legal hold applies to
any review of theirs. The web companion's sign-in links and sessions go a short while
(`WEB_KEEP_HOURS`) after they were used up or ended: they are for signing in, not a record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from cetr_bot.domain import ReviewStatus
from cetr_bot.rules import add_months


class Keep(StrEnum):
    """Why a review keeps its content (or DUE: it does not)."""

    DUE = "due"
    OPEN = "open"
    ON_HOLD = "on_hold"
    NOT_YET = "not_yet"
    REMOVED = "already_removed"


@dataclass(frozen=True)
class RetentionPolicy:
    months: int = 12


@dataclass(frozen=True)
class ReviewFacts:
    review_id: int
    status: ReviewStatus
    report_sent_at: datetime | None = None
    cancelled_at: datetime | None = None
    on_hold: bool = False
    data_removed_at: datetime | None = None


@dataclass(frozen=True)
class Verdict:
    review_id: int
    keep: Keep
    remove_after: datetime | None  # None while the review is open

    @property
    def due(self) -> bool:
        return self.keep is Keep.DUE


def closed_at(facts: ReviewFacts) -> datetime | None:
    """When the review closed, or None while it is open."""
    if facts.status is ReviewStatus.HELD:
        return facts.report_sent_at
    if facts.status is ReviewStatus.CANCELLED:
        return facts.cancelled_at
    return None


def remove_after(closed: datetime, policy: RetentionPolicy) -> datetime:
    """`months` calendar months after closing (the 31st becomes the month's last day)."""
    day = add_months(closed.date(), policy.months)
    return closed.replace(year=day.year, month=day.month, day=day.day)


def decide(facts: ReviewFacts, now: datetime, policy: RetentionPolicy) -> Verdict:
    if facts.data_removed_at is not None:
        return Verdict(facts.review_id, Keep.REMOVED, None)
    closed = closed_at(facts)
    if closed is None:
        return Verdict(facts.review_id, Keep.OPEN, None)
    after = remove_after(closed, policy)
    if facts.on_hold:
        return Verdict(facts.review_id, Keep.ON_HOLD, after)
    return Verdict(facts.review_id, Keep.DUE if now >= after else Keep.NOT_YET, after)


def due_reviews(verdicts: Iterable[Verdict]) -> tuple[int, ...]:
    return tuple(sorted(v.review_id for v in verdicts if v.due))


def people_to_anonymise(
    reviews_of_person: Mapping[int, Iterable[int]],
    removing: Iterable[int],
    already_removed: Iterable[int] = (),
) -> tuple[int, ...]:
    """The people every one of whose reviews is being removed now or was removed before,
    with at least one being removed now (the others were dealt with by an earlier run)."""
    now, before = frozenset(removing), frozenset(already_removed)
    gone = now | before
    found = []
    for person_id, review_ids in reviews_of_person.items():
        theirs = frozenset(review_ids)
        if theirs and theirs <= gone and theirs & now:
            found.append(person_id)
    return tuple(sorted(found))


# --- the Dynamic Support Register ---------------------------------------------------------


@dataclass(frozen=True)
class EntryFacts:
    entry_id: int
    left_on: date | None  # None: still on the register
    on_hold: bool = False
    data_removed_at: datetime | None = None


@dataclass(frozen=True)
class EntryVerdict:
    entry_id: int
    keep: Keep
    remove_after: date | None  # None while on the register

    @property
    def due(self) -> bool:
        return self.keep is Keep.DUE


def decide_entry(facts: EntryFacts, today: date, policy: RetentionPolicy) -> EntryVerdict:
    """`months` calendar months after leaving the register, as for a closed review."""
    if facts.data_removed_at is not None:
        return EntryVerdict(facts.entry_id, Keep.REMOVED, None)
    if facts.left_on is None:
        return EntryVerdict(facts.entry_id, Keep.OPEN, None)
    after = add_months(facts.left_on, policy.months)
    if facts.on_hold:
        return EntryVerdict(facts.entry_id, Keep.ON_HOLD, after)
    return EntryVerdict(facts.entry_id, Keep.DUE if today >= after else Keep.NOT_YET, after)


# --- the web companion's sign-in links and sessions --------------------------------------

WEB_KEEP_HOURS = 24


@dataclass(frozen=True)
class WebCutoffs:
    """Rows finished before these moments are due for deletion."""

    finished_before: datetime  # a link used or expired, a session ended or past its cap
    idle_before: datetime  # a session last seen before this is idle-expired long enough


def web_cutoffs(now: datetime, idle_minutes: int, keep_hours: int = WEB_KEEP_HOURS) -> WebCutoffs:
    finished = now - timedelta(hours=keep_hours)
    return WebCutoffs(finished, finished - timedelta(minutes=idle_minutes))
