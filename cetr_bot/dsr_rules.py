"""The Dynamic Support Register's rules as code: what a rating sets in motion.

Pure functions over plain values, beside `cetr_bot.rules` (the same style): due dates,
cadences and warnings, never exceptions. Defaults come from NHS England's 2023 DSR and
C(E)TR policy (DOMAIN.md); every number is a setting (`DsrPolicy`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from cetr_bot.domain import Rag, RecordedType
from cetr_bot.rules import Policy, RuleWarning, add_months, age_on, post_admission_due

# A pre-admission check: a community CETR, or a Local Area Emergency Protocol meeting.
PRE_ADMISSION_CHECKS = frozenset({RecordedType.COMMUNITY, RecordedType.LAEP})


@dataclass(frozen=True)
class DsrPolicy:
    # How soon a rating is looked at again, per colour (blue: at each inpatient CETR).
    red_review_days: int = 7
    amber_review_months: int = 1
    green_review_months: int = 3
    # Turning red or amber: a community CETR is due within...
    red_cetr_working_days: int = 10
    amber_cetr_days: int = 28
    # ...and the coordinator is reminded every few days until it is settled.
    cetr_chase_every_days: int = 3
    cetr_max_chases: int = 6
    # A community CETR or LAEP meeting this recent counts before an admission.
    pre_admission_window_months: int = 6
    out_of_area_visit_weeks: int = 6
    discharge_review_days: int = 14
    adult_warning_months: int = 6
    inpatient_interval_months: int = 3


@dataclass(frozen=True)
class Check:
    """A review or meeting that happened (in the bot or recorded from elsewhere)."""

    type: RecordedType
    on: date


@dataclass(frozen=True)
class AdmissionOutcome:
    rag: Rag
    without_community_cetr: bool
    post_admission_due: date | None  # None: a pre-admission check happened in time


@dataclass(frozen=True)
class DueItem:
    """Something the register says is due: `code` names a label in labels.toml [dsr_due]."""

    code: str
    on: date
    params: dict[str, object] = field(default_factory=dict)


def add_working_days(day: date, days: int) -> date:
    """`days` working days (Monday to Friday) after `day`. Bank holidays are not known."""
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def next_rating_review(
    rag: Rag, on: date, policy: DsrPolicy, *, next_inpatient_cetr: date | None = None
) -> date | None:
    """When a rating given on `on` must be looked at again; blue: at the next inpatient CETR."""
    if rag is Rag.RED:
        return on + timedelta(days=policy.red_review_days)
    if rag is Rag.AMBER:
        return add_months(on, policy.amber_review_months)
    if rag is Rag.GREEN:
        return add_months(on, policy.green_review_months)
    return next_inpatient_cetr


def community_cetr_due(rag: Rag, flagged_on: date, policy: DsrPolicy) -> date | None:
    """Turning red: within 10 working days; amber: within 28 days; else none is due."""
    if rag is Rag.RED:
        return add_working_days(flagged_on, policy.red_cetr_working_days)
    if rag is Rag.AMBER:
        return flagged_on + timedelta(days=policy.amber_cetr_days)
    return None


def flag_for_change(
    old: Rag | None,
    new: Rag,
    on: date,
    current_due: date | None,
    policy: DsrPolicy,
) -> date | None:
    """The due date of the community CETR after a rating change. Amber → red brings it
    forward (never later than it was); red → amber keeps the earlier date; green or
    blue: no community CETR is due."""
    due = community_cetr_due(new, on, policy)
    if due is None:
        return None
    if current_due is not None and old in (Rag.RED, Rag.AMBER):
        return min(due, current_due)
    return due


def cetr_chase_dates(flagged_on: date, due: date, policy: DsrPolicy) -> list[date]:
    """The coordinator's reminders to book the community CETR: on the day it is flagged,
    every few days until it is due, then a few chases after (settling it stops them)."""
    dates: list[date] = []
    day = flagged_on
    while day <= due:
        dates.append(day)
        day += timedelta(days=policy.cetr_chase_every_days)
    if dates[-1] != due:
        dates.append(due)
    after = due
    for _ in range(policy.cetr_max_chases):
        after += timedelta(days=policy.cetr_chase_every_days)
        dates.append(after)
    return dates


def settled_by(checks: list[Check], flagged_on: date) -> Check | None:
    """A community CETR or LAEP meeting on or after the flag settles it."""
    found = [c for c in checks if c.type in PRE_ADMISSION_CHECKS and c.on >= flagged_on]
    return min(found, key=lambda c: c.on) if found else None


def had_pre_admission_check(admitted_on: date, checks: list[Check], policy: DsrPolicy) -> bool:
    """A community CETR or LAEP meeting in the months before the admission (or that day)."""
    since = add_months(admitted_on, -policy.pre_admission_window_months)
    return any(c.type in PRE_ADMISSION_CHECKS and since <= c.on <= admitted_on for c in checks)


def on_admission(
    admitted_on: date, checks: list[Check], policy: DsrPolicy, review_policy: Policy
) -> AdmissionOutcome:
    """Admitted: blue; without a pre-admission check, a post-admission CETR is due by the
    project's rule (rules.post_admission_due) and the admission counts as "without"."""
    if had_pre_admission_check(admitted_on, checks, policy):
        return AdmissionOutcome(Rag.BLUE, False, None)
    return AdmissionOutcome(Rag.BLUE, True, post_admission_due(admitted_on, review_policy))


def next_inpatient_cetr(
    admitted_on: date, checks: list[Check], policy: DsrPolicy, review_policy: Policy
) -> tuple[RecordedType, date]:
    """In hospital: the post-admission CETR if none came before, then an inpatient CETR
    every few months from the last review (since admission, or the pre-admission one)."""
    since = [c.on for c in checks if c.on >= admitted_on and c.type is not RecordedType.LAEP]
    if since:
        return RecordedType.INPATIENT, add_months(max(since), policy.inpatient_interval_months)
    outcome = on_admission(admitted_on, checks, policy, review_policy)
    if outcome.post_admission_due is not None:
        return RecordedType.POST_ADMISSION, outcome.post_admission_due
    before = max(c.on for c in checks if c.type in PRE_ADMISSION_CHECKS and c.on <= admitted_on)
    return RecordedType.INPATIENT, add_months(before, policy.inpatient_interval_months)


def next_visit(admitted_on: date, today: date, policy: DsrPolicy) -> date:
    """Placed out of area: the commissioner visits every few weeks from admission; the
    next such date on or after `today`."""
    step = timedelta(weeks=policy.out_of_area_visit_weeks)
    visit = admitted_on + step
    while visit < today:
        visit += step
    return visit


def on_discharge(rag: Rag, discharged_on: date, policy: DsrPolicy) -> tuple[Rag, date]:
    """Back to a chosen colour (never blue), with an early review of the rating."""
    if rag is Rag.BLUE:
        rag = Rag.AMBER
    return rag, discharged_on + timedelta(days=policy.discharge_review_days)


def adult_warning_on(date_of_birth: date, policy: DsrPolicy, review_policy: Policy) -> date:
    """The day to warn that adult Care and Treatment Reviews will apply."""
    adult_birthday = add_months(date_of_birth, 12 * review_policy.adult_age)
    return add_months(adult_birthday, -policy.adult_warning_months)


def age_warnings(
    date_of_birth: date | None, today: date, policy: DsrPolicy, review_policy: Policy
) -> list[RuleWarning]:
    """Within six months of 18: adult CTRs soon; 18 or over: adult CTRs now; from 14:
    the transitions team (the same suggestion reviews get)."""
    if date_of_birth is None:
        return [RuleWarning("no_date_of_birth")]
    age = age_on(date_of_birth, today)
    if age >= review_policy.adult_age:
        return [RuleWarning("adult_ctr", {"age": age})]
    warnings: list[RuleWarning] = []
    if today >= adult_warning_on(date_of_birth, policy, review_policy):
        adult_on = add_months(date_of_birth, 12 * review_policy.adult_age)
        warnings.append(RuleWarning("dsr_adult_soon", {"on": adult_on}))
    if age >= review_policy.transitions_age:
        warnings.append(RuleWarning("suggest_transitions", {"age": age}))
    return warnings


# --- the monthly summary ----------------------------------------------------------------


@dataclass(frozen=True)
class EntryFacts:
    """One register entry as the monthly summary sees it."""

    rag: Rag
    cetr_due_on: date | None
    cetr_open: bool  # due and not yet booked, declined or held


@dataclass(frozen=True)
class AdmissionFacts:
    admitted_on: date
    with_community_cetr: bool


@dataclass(frozen=True)
class MonthSummary:
    month: str  # YYYY-MM
    by_colour: dict[str, int]
    cetrs_due: int  # open community CETRs due by the month's end
    cetrs_overdue: int  # of those, past their date at `today`
    admissions_with: int
    admissions_without: int
    percent_with: int | None  # None: no admissions that month
    standard: int
    meets_standard: bool | None


def month_bounds(month: str) -> tuple[date, date]:
    """The first and last day of YYYY-MM (ValueError when it is not one)."""
    year, _, number = month.partition("-")
    first = date(int(year), int(number), 1)
    return first, add_months(first, 1) - timedelta(days=1)


def month_summary(
    month: str,
    entries: list[EntryFacts],
    admissions: list[AdmissionFacts],
    today: date,
    standard: int = 90,
) -> MonthSummary:
    first, last = month_bounds(month)
    by_colour = {r.value: sum(1 for e in entries if e.rag is r) for r in Rag}
    due = [e for e in entries if e.cetr_open and e.cetr_due_on and e.cetr_due_on <= last]
    overdue = [e for e in due if e.cetr_due_on and e.cetr_due_on < min(today, last)]
    in_month = [a for a in admissions if first <= a.admitted_on <= last]
    with_cetr = sum(1 for a in in_month if a.with_community_cetr)
    percent = round(100 * with_cetr / len(in_month)) if in_month else None
    return MonthSummary(
        month=month,
        by_colour=by_colour,
        cetrs_due=len(due),
        cetrs_overdue=len(overdue),
        admissions_with=with_cetr,
        admissions_without=len(in_month) - with_cetr,
        percent_with=percent,
        standard=standard,
        meets_standard=None if percent is None else percent >= standard,
    )
