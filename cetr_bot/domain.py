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


# --- status and kind vocabularies (their values are what the database holds) ---------


class ReminderStatus(StrEnum):
    """A reminder row's life: pending → sending → sent, or one of the ends.
    UNCERTAIN: the request may have reached Telegram (a read timeout after it was
    sent); a routine message is not sent again (scheduling/delivery.py, the policy)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"
    EXPIRED = "expired"
    UNCERTAIN = "uncertain"


class ReminderKind(StrEnum):
    """What a reminder row is for (its template is reminders/<kind>.html or a notice's)."""

    # Planned from a review's state (recomputed on every change).
    REVIEW_REMINDER = "review_reminder"
    RSVP_NUDGE = "rsvp_nudge"
    PREP_NUDGE = "prep_nudge"
    COORD_ATTENDANCE = "coord_attendance"
    # One-off notices caused by an event (a move or a cancellation).
    CALENDAR_UPDATE = "calendar_update"
    CALENDAR_CANCEL = "calendar_cancel"
    # Per young person: book the next review ahead, and say when it is overdue.
    BOOK_NEXT = "book_next"
    NEXT_OVERDUE = "next_overdue"
    # To coordinators when someone blocked the bot.
    COORD_UNREACHABLE = "coord_unreachable"
    # After the review: actions, the report, the young person's feedback, the pack.
    ACTION_NOTICE = "action_notice"  # to the owner, at once: new, changed, reassigned, cancelled
    ACTION_DUE = "action_due"  # to the owner: N days before, and on the day
    ACTION_CHASE = "action_chase"  # to the owner: overdue
    ACTION_ESCALATE = "action_escalate"  # to the coordinators: overdue for a few days
    ACTION_RETURNED = "action_returned"  # to the coordinators: help asked for, or not mine
    ACTION_DIGEST = "action_digest"  # to an owner who chose one daily message
    REPORT_DUE = "report_due"  # to the coordinators: the report is due
    REPORT_LATE = "report_late"  # to the family and the young person: it is late
    FEEDBACK_ASK = "feedback_ask"  # to the young person: tell us how it went
    YP_FEEDBACK = "yp_feedback"  # what the review found, to the young person (easy-read)
    YP_QUESTION = "yp_question"  # the young person's question, to the coordinators
    YP_ANSWER = "yp_answer"  # a coordinator's answer to that question, to the young person
    PACK = "pack"  # the panel pack, to the panel and the coordinators (or "held back")
    # Notes to the coordinators of a review's team.
    COORD_JOINED = "coord_joined"  # someone joined (payload: participant_id)
    COORD_DEPUTY_LINK = "coord_deputy_link"  # a deputy or supporter link was made
    COORD_PACK_ASKED = "coord_pack_asked"  # a panel member asked for a held-back pack
    # Someone in the review needs an interpreter (BSL or a spoken language): book one.
    COORD_INTERPRETER = "coord_interpreter"
    # A person asked for a copy of their data or to be forgotten: approve (payload: request_id).
    COORD_DATA_REQUEST = "coord_data_request"
    # The approved copy of a person's data, to them, as a protected document.
    DATA_EXPORT = "data_export"
    # A request declined (or an erasure refused under a legal hold), to the person.
    DATA_DECLINED = "data_declined"
    # To the admins: many bad invite tokens at once.
    ADMIN_BAD_TOKENS = "admin_bad_tokens"
    # The Dynamic Support Register (to the coordinators of the entry's team).
    DSR_CETR_DUE = "dsr_cetr_due"  # red/amber: book a community CETR (until settled)
    DSR_RATING_REVIEW = "dsr_rating_review"  # the rating is due to be looked at again
    DSR_VISIT = "dsr_visit"  # placed out of area: the commissioner's visit is due
    DSR_ADULT_SOON = "dsr_adult_soon"  # 18 in six months: adult CTRs will apply
    DSR_MONTHLY = "dsr_monthly"  # the month's register summary


class Need(StrEnum):
    """A communication need (the Accessible Information Standard): what a person asked for."""

    EASY_READ = "easy_read"
    LARGE_PRINT = "large_print"
    AUDIO = "audio"  # audio, or voice notes
    BSL = "bsl"  # a British Sign Language interpreter
    INTERPRETER = "interpreter"  # a spoken language interpreter (detail: which language)
    READER = "reader"  # someone to help them read
    TIMES = "times"  # times that suit them (detail: free text)


# Needs that come with words of their own (the language, the times).
NEEDS_WITH_DETAIL = frozenset({Need.INTERPRETER, Need.TIMES})
# Needs the coordinator must book someone for before the meeting.
INTERPRETER_NEEDS = frozenset({Need.BSL, Need.INTERPRETER})


def parse_need(text: str) -> Need | None:
    """A need as typed at the command line: "easy-read", "easy_read", "BSL"."""
    wanted = text.strip().lower().replace("-", "_").replace(" ", "_")
    return next((n for n in Need if n.value == wanted), None)


class Answer(StrEnum):
    """A participant's RSVP, and what someone who cannot come may offer instead."""

    IN_PERSON = "in_person"
    VIDEO = "video"
    CANNOT = "cannot"
    DEPUTY = "deputy"
    WRITTEN = "written"
    SUPPORTER = "supporter"


class PrepStatus(StrEnum):
    """How far a participant is with their preparation."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


# --- the Dynamic Support Register ---------------------------------------------------


class Rag(StrEnum):
    """A register rating: red (admission risk now), amber (at risk soon), green (managed
    at home), blue (in hospital)."""

    RED = "red"
    AMBER = "amber"
    GREEN = "green"
    BLUE = "blue"


class DsrLeft(StrEnum):
    """Why a young person came off the register (a code: no free text to keep)."""

    # At most 16 characters: dsr_changes.new holds the code too.
    NOT_AT_RISK = "not_at_risk"  # no longer at risk of admission
    MOVED_AWAY = "moved_away"
    ADULT = "adult"  # moved to the adult register (18 and over)
    NO_CONSENT = "no_consent"  # consent withdrawn
    OTHER = "other"


class DsrBasis(StrEnum):
    """Why the young person may be on the register."""

    CONSENT = "consent"
    BEST_INTERESTS = "best-interests"


class RecordedType(StrEnum):
    """A review or meeting held outside the bot, recorded so the rules know of it."""

    COMMUNITY = "community"
    POST_ADMISSION = "post-admission"
    INPATIENT = "inpatient"
    LAEP = "laep"  # a Local Area Emergency Protocol meeting


class CetrSettled(StrEnum):
    """How a community CETR that fell due stopped being chased."""

    BOOKED = "booked"
    DECLINED = "declined"
    LAEP = "laep"
    HELD = "held"


def parse_rag(text: str) -> Rag | None:
    try:
        return Rag(text.strip().lower())
    except ValueError:
        return None


def parse_recorded_type(text: str) -> RecordedType | None:
    cleaned = text.strip().lower().replace("_", "-").replace(" ", "-")
    if cleaned in ("postadmission", "post"):
        cleaned = RecordedType.POST_ADMISSION
    if cleaned in ("emergency", "laep-meeting"):
        cleaned = RecordedType.LAEP
    try:
        return RecordedType(cleaned)
    except ValueError:
        return None
