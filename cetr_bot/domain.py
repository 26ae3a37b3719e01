"""The vocabulary of a CETR: review types, statuses and roles."""

from __future__ import annotations

from enum import StrEnum


class ReviewType(StrEnum):
    COMMUNITY = "community"
    POST_ADMISSION = "post-admission"
    INPATIENT = "inpatient"


class ReviewStatus(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


class Setting(StrEnum):
    """Where the young person lives now."""

    COMMUNITY = "community"
    INPATIENT = "inpatient"


class Role(StrEnum):
    YOUNG_PERSON = "young-person"
    FAMILY = "family"
    COMMISSIONER = "commissioner"
    CLINICIAN = "clinician"
    PANEL_CHAIR = "chair"
    CLINICAL_ADVISER = "clinical-adviser"
    EXPERT_BY_EXPERIENCE = "expert-by-experience"
    SOCIAL_WORKER = "social-worker"
    SEND_KEY_WORKER = "send-key-worker"
    SCHOOL = "school"
    YOUTH_OFFENDING_TEAM = "youth-offending-team"
    ADVOCATE = "advocate"
    # Comes with (or speaks up for) the young person: no consent powers, never their answers.
    SUPPORTER = "supporter"
    VCSE = "vcse"
    VIRTUAL_SCHOOL = "virtual-school"
    TRANSITIONS = "transitions"
    OTHER = "other"


PANEL_ROLES = frozenset({Role.PANEL_CHAIR, Role.CLINICAL_ADVISER, Role.EXPERT_BY_EXPERIENCE})
FAMILY_ROLES = frozenset({Role.YOUNG_PERSON, Role.FAMILY})
# Roles that usually have one holder; a second invite for them is still allowed
# (e.g. a deputy) but the coordinator sees both.
SINGLE_HOLDER_ROLES = frozenset({Role.YOUNG_PERSON, Role.COMMISSIONER, Role.PANEL_CHAIR})


def parse_role(text: str) -> Role | None:
    cleaned = text.strip().lower().replace("_", "-").replace(" ", "-")
    try:
        return Role(cleaned)
    except ValueError:
        return None


def parse_review_type(text: str) -> ReviewType | None:
    cleaned = text.strip().lower().replace("_", "-").replace(" ", "-")
    if cleaned in ("postadmission", "post"):
        cleaned = ReviewType.POST_ADMISSION
    try:
        return ReviewType(cleaned)
    except ValueError:
        return None
