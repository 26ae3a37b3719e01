"""Guided coordinator flows (/newreview, /reschedule), kept in the database.

The step a user is on is derived from what they have answered so far, so a
restart or a second bot process carries on at the right question.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete

from cetr_bot.domain import ReviewType, parse_review_type
from cetr_bot.parsing import parse_date, parse_local_datetime
from cetr_bot.rules import RuleWarning
from cetr_bot.services import reviews, teams
from cetr_bot.services.context import Actor, Services
from cetr_bot.services.errors import Invalid, ServiceError
from cetr_bot.storage.models import PendingInput

NEW_REVIEW = "newreview"
RESCHEDULE = "reschedule"
SKIP = "skip"
MAX_TEXT = 3000


@dataclass
class Step:
    """Where a flow is: the next question, or done with a result."""

    kind: str
    name: str
    data: dict[str, Any] = field(default_factory=dict)
    error: ServiceError | None = None
    warnings: list[RuleWarning] = field(default_factory=list)
    review_id: int | None = None


async def current(svc: Services, actor: Actor) -> PendingInput | None:
    async with svc.db.transaction() as session:
        return await session.get(PendingInput, actor.telegram_user_id)


async def save(svc: Services, actor: Actor, kind: str, data: dict[str, Any]) -> None:
    async with svc.db.transaction() as session:
        row = await session.get(PendingInput, actor.telegram_user_id)
        if row is None:
            session.add(PendingInput(telegram_user_id=actor.telegram_user_id, kind=kind, data=data))
        else:
            row.kind, row.data = kind, dict(data)


async def clear(svc: Services, actor: Actor) -> bool:
    async with svc.db.transaction() as session:
        result = await session.execute(
            delete(PendingInput).where(PendingInput.telegram_user_id == actor.telegram_user_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


# --- /newreview -------------------------------------------------------------


def new_review_step(data: dict[str, Any]) -> str:
    # "teams" is there only for a coordinator in more than one team: they choose first.
    order = ["team"] if data.get("teams") else []
    order += ["ref", "type", "dob"]
    if data.get("type") and data["type"] != ReviewType.COMMUNITY:
        order.append("admitted")
    order += ["at", "where", "confirm"]
    return next(name for name in order if name == "confirm" or name not in data)


async def current_new_review_step(svc: Services, actor: Actor) -> Step | None:
    """The question the user is on now (with warnings at the confirm step)."""
    row = await current(svc, actor)
    if row is None or row.kind != NEW_REVIEW:
        return None
    step = Step(NEW_REVIEW, new_review_step(row.data), dict(row.data))
    if step.name == "confirm":
        step.warnings = await _preview(svc, step.data)
    return step


async def start_new_review(svc: Services, actor: Actor) -> Step:
    names = await teams.team_names_for(svc, actor)
    data: dict[str, Any] = {"teams": names} if len(names) > 1 else {}
    await save(svc, actor, NEW_REVIEW, data)
    return Step(NEW_REVIEW, new_review_step(data), data)


async def new_review_input(
    svc: Services, actor: Actor, text: str, *, button_step: str | None = None
) -> Step:
    """Take the answer to the current question: typed text, or a button's value.

    A button carries the step it was made for; a press on an older question's
    button is refused with the current question shown again.
    """
    await svc.require_coordinator(actor)
    row = await current(svc, actor)
    if row is None or row.kind != NEW_REVIEW:
        raise Invalid("stale_button" if button_step else "nothing_pending")
    data: dict[str, Any] = dict(row.data)
    name = new_review_step(data)
    if button_step is not None and button_step != name:
        return Step(NEW_REVIEW, name, data, error=Invalid("moved_on"))
    try:
        if name == "confirm":
            if button_step is None:
                raise Invalid("use_buttons")
            return await _confirm(svc, actor, data, text)
        if name == "team":
            data[name] = _team_answer(data, text)
        elif name == "ref":
            data[name] = await reviews.check_ref(svc, actor, _read_answer(svc, name, text))
            await reviews.refuse_known_name(svc, data[name])
        else:
            data[name] = _read_answer(svc, name, text)
    except ServiceError as error:
        return Step(NEW_REVIEW, name, data, error=error)
    await save(svc, actor, NEW_REVIEW, data)
    step = Step(NEW_REVIEW, new_review_step(data), data)
    if step.name == "confirm":
        step.warnings = await _preview(svc, data)
    return step


def _team_answer(data: dict[str, Any], text: str) -> str:
    """One of the teams offered (the service checks membership again on creating)."""
    chosen = [t for t in data.get("teams", []) if t.lower() == text.strip().lower()]
    if not chosen:
        raise Invalid("use_buttons")
    return str(chosen[0])


def _read_answer(svc: Services, name: str, text: str) -> Any:
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise Invalid("text_too_long", limit=MAX_TEXT)
    if name == "ref":
        return reviews.validate_ref(text)
    if name == "type":
        kind = parse_review_type(text)
        if kind is None:
            raise Invalid("bad_type")
        return str(kind)
    if name in ("dob", "admitted"):
        return _optional_past_date(svc, name, text)
    if name == "at":
        at = parse_local_datetime(text, svc.settings.zone)
        if at is None:
            raise Invalid("bad_datetime")
        return reviews.validate_future(svc, at).isoformat()
    if name == "where":
        return "" if text.lower() == SKIP else reviews.validate_location(text) or ""
    raise Invalid("unexpected")


def _optional_past_date(svc: Services, name: str, text: str) -> str:
    if text.lower() == SKIP:
        return SKIP
    day = parse_date(text)
    if day is None:
        raise Invalid("bad_date")
    key = "birth_in_future" if name == "dob" else "admission_in_future"
    reviews.validate_past_date(svc, day, key)
    return day.isoformat()


async def _preview(svc: Services, data: dict[str, Any]) -> list[RuleWarning]:
    return await reviews.preview_warnings(
        svc,
        ref=data["ref"],
        review_type=ReviewType(data["type"]),
        at=datetime.fromisoformat(data["at"]),
        date_of_birth=_as_date(data.get("dob")),
        admitted_on=_as_date(data.get("admitted")),
    )


def _as_date(value: str | None) -> date | None:
    return None if value in (None, SKIP, "") else date.fromisoformat(str(value))


async def _confirm(svc: Services, actor: Actor, data: dict[str, Any], text: str) -> Step:
    if text == "no":
        await clear(svc, actor)
        return Step(NEW_REVIEW, "cancelled", data)
    if text != "yes":
        raise Invalid("use_buttons")
    result = await reviews.create_review(
        svc,
        actor,
        ref=data["ref"],
        review_type=ReviewType(data["type"]),
        at=datetime.fromisoformat(data["at"]),
        location=data.get("where") or None,
        date_of_birth=_as_date(data.get("dob")),
        admitted_on=_as_date(data.get("admitted")),
        team=data.get("team"),
    )
    await clear(svc, actor)
    return Step(NEW_REVIEW, "done", data, warnings=result.warnings, review_id=result.review_id)


# --- /reschedule ------------------------------------------------------------


async def start_reschedule(svc: Services, actor: Actor, review_id: int) -> reviews.ReviewDetail:
    detail = await reviews.review_detail(svc, actor, review_id)
    if detail.summary.status != "scheduled":
        raise Invalid("review_not_scheduled", status=detail.summary.status)
    await save(svc, actor, RESCHEDULE, {"review_id": review_id})
    return detail


async def reschedule_input(svc: Services, actor: Actor, text: str) -> Step:
    await svc.require_coordinator(actor)
    row = await current(svc, actor)
    if row is None or row.kind != RESCHEDULE:
        raise Invalid("nothing_pending")
    review_id = int(row.data["review_id"])
    at = parse_local_datetime(text.strip()[:100], svc.settings.zone)
    if at is None:
        return Step(RESCHEDULE, "at", row.data, error=Invalid("bad_datetime"))
    try:
        result = await reviews.reschedule_review(svc, actor, review_id=review_id, at=at)
    except Invalid as error:
        if error.key == "review_not_scheduled":
            await clear(svc, actor)
            raise
        return Step(RESCHEDULE, "at", row.data, error=error)
    await clear(svc, actor)
    return Step(RESCHEDULE, "done", {"at": at}, warnings=result.warnings, review_id=review_id)
