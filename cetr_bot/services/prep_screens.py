"""What the Telegram layer shows for a walk-through: one frozen `Screen`, built once."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Literal

from cetr_bot.domain import ReviewType, Role
from cetr_bot.services import consent, question_bank
from cetr_bot.services.errors import ServiceError
from cetr_bot.services.memberships import Membership
from cetr_bot.services.question_bank import Question
from cetr_bot.services.safeguarding import Alert
from cetr_bot.services.walk import Walk
from cetr_bot.text import DEFAULT_LANGUAGE

ScreenKind = Literal["consent", "question", "summary", "submitted", "stopped", "consent_saved"]


@dataclass(frozen=True)
class AnswerLine:
    question: Question
    number: int
    kind: str | None  # None: not answered yet
    value: str | None
    shown: str | None  # an option's label, a date, the typed text
    changed: bool = False


@dataclass(frozen=True)
class Screen:
    kind: ScreenKind
    participant_id: int
    review_id: int
    role: Role
    easy_read: bool
    at: datetime
    review_type: ReviewType
    question: Question | None = None
    number: int = 0
    total: int = 0
    current: AnswerLine | None = None  # the answer being changed
    subject: str | None = None  # consent question
    consent_version: int = 0
    lines: list[AnswerLine] = field(default_factory=list)
    areas: dict[str, str] = field(default_factory=dict)
    submitted: bool = False
    can_change: bool = True
    share_allowed: bool | None = None  # the young person's own answers (None: other roles)
    consent_state: consent.ConsentState | None = None  # the young person's only
    error: ServiceError | None = None
    notices: list[str] = field(default_factory=list)  # templates shown before the screen
    safety: str | None = None  # "who to talk to now", shown at once
    safety_people: dict[str, Any] = field(default_factory=dict)  # whom it may name
    alerts: list[Alert] = field(default_factory=list)
    flag_id: int | None = None


@dataclass(frozen=True)
class Choice:
    """The caller prepares for more than one review: which one?"""

    memberships: list[Membership]


def screen(
    walk: Walk,
    *,
    kind: ScreenKind | None = None,
    error: ServiceError | None = None,
    notices: list[str] | None = None,
    safety: str | None = None,
    safety_people: dict[str, Any] | None = None,
    alerts: list[Alert] | None = None,
    flag_id: int | None = None,
) -> Screen:
    """What to show for where the walk-through now is (see walk.next_step); `kind`
    names an outcome (submitted, stopped, consent_saved) shown instead of the step."""
    step = walk.step()
    common: dict[str, Any] = {
        "participant_id": walk.participant.id,
        "review_id": walk.review.id,
        "role": walk.role,
        "easy_read": walk.bank.easy_read,
        "at": walk.review.scheduled_at,
        "review_type": ReviewType(walk.review.type),
        "total": len(walk.questions),
        "submitted": walk.progress.submitted_at is not None,
        "can_change": not walk.papers_sent,
        "share_allowed": walk.consent.share_allowed if walk.consent else None,
        "consent_state": walk.consent,
        "error": error,
        "notices": notices or [],
        "safety": safety,
        "safety_people": safety_people or {},
        "alerts": alerts or [],
        "flag_id": flag_id,
    }
    shown: ScreenKind = kind or step.kind
    if step.kind == "consent" and walk.consent is not None:
        return Screen(shown, subject=step.subject, consent_version=walk.consent.version, **common)
    if step.question is not None:
        number = walk.questions.index(step.question) + 1
        current = line(walk, step.question, number) if step.question.id in walk.answers else None
        return Screen(shown, question=step.question, number=number, current=current, **common)
    lines = [line(walk, q, n) for n, q in enumerate(walk.questions, 1)]
    return Screen(shown, lines=lines, areas=walk.bank.areas, **common)


def in_language(screen: Screen, language: str) -> Screen:
    """The screen with its questions' words, answers' labels and areas in `language`."""
    if language == DEFAULT_LANGUAGE:
        return screen

    def local_line(answer: AnswerLine | None) -> AnswerLine | None:
        if answer is None:
            return None
        question = question_bank.in_language(answer.question, language)
        shown = answer.shown
        if answer.kind == "option" and answer.value is not None:
            option = question.option(answer.value)
            shown = option.label if option else shown
        return replace(answer, question=question, shown=shown)

    lines = [local for line in screen.lines if (local := local_line(line)) is not None]
    return replace(
        screen,
        question=question_bank.in_language(screen.question, language) if screen.question else None,
        current=local_line(screen.current),
        lines=lines,
        areas={k: question_bank.library(language).areas.get(k, v) for k, v in screen.areas.items()},
    )


def line(walk: Walk, question: Question, number: int) -> AnswerLine:
    answer = walk.answers.get(question.id)
    if answer is None:
        return AnswerLine(question, number, None, None, None)
    shown = answer.value
    if answer.kind == "option":
        option = question.option(answer.value)
        shown = option.label if option else answer.value
    elif answer.kind == "date":
        shown = date.fromisoformat(answer.value).strftime("%d/%m/%Y")
    return AnswerLine(
        question, number, answer.kind, answer.value, shown, answer.changed_after_submit
    )
