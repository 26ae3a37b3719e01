"""The CETR rules as code: due dates, required roles and warnings.

Pure functions over plain values, so they are easy to test. A broken rule is
returned as a `RuleWarning` for the coordinator to read, never raised.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from cetr_bot.domain import ReviewStatus, ReviewType, Role, Setting

PANEL = (Role.PANEL_CHAIR, Role.CLINICAL_ADVISER, Role.EXPERT_BY_EXPERIENCE)
REQUIRED_ROLES: tuple[Role, ...] = (Role.COMMISSIONER, Role.CLINICIAN, *PANEL)


@dataclass(frozen=True)
class Policy:
    post_admission_due_days: int = 14
    inpatient_interval_months: int = 3
    transitions_age: int = 14
    adult_age: int = 18


@dataclass(frozen=True)
class YoungPersonFacts:
    date_of_birth: date | None
    setting: Setting
    admitted_on: date | None


@dataclass(frozen=True)
class PastReview:
    id: int
    type: ReviewType
    on: date
    status: ReviewStatus


@dataclass(frozen=True)
class RuleWarning:
    """`code` names a template in messages/warnings/; `params` fill it in."""

    code: str
    params: dict[str, object] = field(default_factory=dict)


def add_months(day: date, months: int) -> date:
    """Same day of month `months` later, clamped to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def age_on(date_of_birth: date, on: date) -> int:
    before_birthday = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - int(before_birthday)


def required_roles(review_type: ReviewType) -> tuple[Role, ...]:
    """Needed for a valid review: commissioner, clinician and the panel (any type)."""
    return REQUIRED_ROLES


def commissioner_body(review_type: ReviewType) -> str:
    """'icb' (the local ICB) for a community CETR, 'nhse' (NHS England) otherwise."""
    return "icb" if review_type is ReviewType.COMMUNITY else "nhse"


def post_admission_due(admitted_on: date, policy: Policy) -> date:
    return admitted_on + timedelta(days=policy.post_admission_due_days)


def inpatient_due(last_review_on: date, policy: Policy) -> date:
    return add_months(last_review_on, policy.inpatient_interval_months)


def check_review(
    *,
    review_type: ReviewType,
    on: date,
    person: YoungPersonFacts,
    history: list[PastReview],
    policy: Policy,
    review_id: int | None = None,
) -> list[RuleWarning]:
    """Everything the coordinator should know about a review on `on`."""
    past = [r for r in history if r.status is not ReviewStatus.CANCELLED and r.id != review_id]
    warnings = _age_warnings(on, person, policy)
    if review_type is ReviewType.POST_ADMISSION:
        warnings += _post_admission_warnings(on, person, past, policy)
    elif review_type is ReviewType.INPATIENT:
        warnings += _inpatient_warnings(on, person, past, policy)
    elif person.setting is Setting.INPATIENT:
        warnings.append(RuleWarning("community_while_inpatient"))
    return warnings


def _age_warnings(on: date, person: YoungPersonFacts, policy: Policy) -> list[RuleWarning]:
    if person.date_of_birth is None:
        return [RuleWarning("no_date_of_birth")]
    age = age_on(person.date_of_birth, on)
    if age >= policy.adult_age:
        return [RuleWarning("adult_ctr", {"age": age})]
    if age >= policy.transitions_age:
        return [RuleWarning("suggest_transitions", {"age": age})]
    return []


def _post_admission_warnings(
    on: date, person: YoungPersonFacts, past: list[PastReview], policy: Policy
) -> list[RuleWarning]:
    admitted = person.admitted_on
    if person.setting is not Setting.INPATIENT or admitted is None:
        return [RuleWarning("post_admission_not_admitted")]
    warnings: list[RuleWarning] = []
    community_before = [r for r in past if r.type is ReviewType.COMMUNITY and r.on <= admitted]
    if community_before:
        last = max(r.on for r in community_before)
        warnings.append(RuleWarning("community_preceded_admission", {"on": last}))
    if any(r.type is ReviewType.POST_ADMISSION and r.on >= admitted for r in past):
        warnings.append(RuleWarning("post_admission_exists"))
    due = post_admission_due(admitted, policy)
    if on > due:
        warnings.append(RuleWarning("post_admission_late", {"due": due}))
    if on < admitted:
        warnings.append(RuleWarning("review_before_admission", {"admitted": admitted}))
    return warnings


def _inpatient_warnings(
    on: date, person: YoungPersonFacts, past: list[PastReview], policy: Policy
) -> list[RuleWarning]:
    warnings: list[RuleWarning] = []
    if person.setting is not Setting.INPATIENT:
        warnings.append(RuleWarning("inpatient_not_admitted"))
    earlier = [r.on for r in past if r.on < on]
    if not earlier:
        if person.admitted_on is not None:
            due = post_admission_due(person.admitted_on, policy)
            warnings.append(RuleWarning("inpatient_without_previous", {"due": due}))
        return warnings
    due = inpatient_due(max(earlier), policy)
    if on > due:
        warnings.append(RuleWarning("inpatient_late", {"due": due, "last": max(earlier)}))
    return warnings


def next_review_due(
    *, person: YoungPersonFacts, history: list[PastReview], policy: Policy
) -> tuple[ReviewType, date] | None:
    """Which review is due next and by when, for an inpatient young person."""
    if person.setting is not Setting.INPATIENT or person.admitted_on is None:
        return None
    live = [r for r in history if r.status is not ReviewStatus.CANCELLED]
    since_admission = [r for r in live if r.on >= person.admitted_on]
    if since_admission:
        return ReviewType.INPATIENT, inpatient_due(max(r.on for r in since_admission), policy)
    community_before = [r for r in live if r.type is ReviewType.COMMUNITY]
    if community_before:
        last = max(r.on for r in community_before)
        return ReviewType.INPATIENT, inpatient_due(last, policy)
    return ReviewType.POST_ADMISSION, post_admission_due(person.admitted_on, policy)
