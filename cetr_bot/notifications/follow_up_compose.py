"""Messages for the follow-up reminders, rendered from the state at sending time:
an action that is done, or a report already sent, is skipped (recorded), not sent."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup

from cetr_bot.domain import ReminderKind, ReminderStatus
from cetr_bot.notifications import keyboards
from cetr_bot.notifications.delivery_policy import Content, deliver, is_private_chat
from cetr_bot.scheduling import follow_up as f
from cetr_bot.scheduling.outgoing import Composed, Outgoing, Skip
from cetr_bot.services import actions, consent, feedback, needs, review_feedback, yp_questions
from cetr_bot.services import pack as packs
from cetr_bot.services.context import Services
from cetr_bot.storage.models import Participant, Person
from cetr_bot.storage.models_actions import Action, DigestPreference, ReviewFollowUp
from cetr_bot.storage.models_reminders import Reminder
from cetr_bot.text import Texts


async def compose_row(
    svc: Services, texts: Texts, session: AsyncSession, row: Reminder, now: datetime
) -> Composed:
    if row.kind in (ReminderKind.REPORT_DUE, ReminderKind.REPORT_LATE):
        return await _report(texts, session, row)
    if row.kind == ReminderKind.FEEDBACK_ASK:
        return await _feedback(texts, session, row)
    if row.kind == ReminderKind.ACTION_DIGEST:
        return await _digest(svc, texts, session, row)
    if row.kind == ReminderKind.PACK:
        return await _pack(svc, texts, session, row)
    if row.kind == ReminderKind.YP_FEEDBACK:
        found = await review_feedback.feedback_text(session, row.review_id or 0)
        if found is None:
            return Skip(ReminderStatus.SKIPPED, "no feedback")
        ask = keyboards.young_person_feedback(texts)
        via = deliver(svc.settings, Content.FEEDBACK, row.review_id or 0)
        if via.url is not None:
            page = "links/feedback_for_young_person"
            return _link(texts, row, via.url, page, easy=True, then=ask)
        return Outgoing(
            texts.render("ypfeedback/for_young_person", answers=found), ask, protect_content=True
        )
    if row.kind == ReminderKind.YP_QUESTION:
        return await _yp_question(svc, texts, session, row)
    if row.kind == ReminderKind.YP_ANSWER:
        return await _yp_answer(svc, texts, session, row)
    action = await session.get(Action, int(row.payload.get("action_id", 0)))
    if action is None:
        return Skip(ReminderStatus.SKIPPED, "action gone")
    view = await actions.view_of(svc, session, action)
    if row.kind == ReminderKind.ACTION_NOTICE:
        return _notice(texts, row, action, view)
    if view.status is not actions.ActionStatus.OPEN:
        return Skip(ReminderStatus.SKIPPED, f"action {view.status}")
    if row.kind == ReminderKind.ACTION_RETURNED:
        if action.version != row.payload.get("version"):
            return Skip(ReminderStatus.SKIPPED, "superseded")
        return Outgoing(texts.render("actions/returned", a=view, reason=row.payload["reason"]))
    if row.kind == ReminderKind.ACTION_ESCALATE:
        return Outgoing(texts.render("actions/escalate", a=view))
    if row.participant_id != action.owner_participant_id:
        return Skip(ReminderStatus.SKIPPED, "owner changed")
    template = "actions/due" if row.kind == ReminderKind.ACTION_DUE else "actions/chase"
    today = _today(svc, now)
    days = (view.due_on - today).days
    late = (today - row.due_at.astimezone(svc.settings.zone).date()).days
    if (
        row.kind == ReminderKind.ACTION_DUE and days < 0
    ) or late >= svc.settings.action_chase_every_days:
        # Caught up after downtime: a later reminder of this action says it better.
        return Skip(ReminderStatus.EXPIRED, "superseded by a later reminder")
    return Outgoing(
        texts.render(template, a=view, days=days),
        keyboards.action_owner(texts, view.id, view.version),
    )


async def _yp_question(
    svc: Services, texts: Texts, session: AsyncSession, row: Reminder
) -> Composed:
    """The young person's question, to a coordinator, with the Reply button."""
    question_id = row.payload.get("question_id")
    reply = None
    if question_id is not None:
        found = await yp_questions.message_for_sending(session, int(question_id))
        if found is None:
            return Skip(ReminderStatus.SKIPPED, "question removed")
        text, reply = found.text, keyboards.reply_question(texts, found.id)
    else:  # a row planned before questions were rows: its words are in the payload
        text = str(row.payload.get("text", ""))
    via = deliver(svc.settings, Content.FEEDBACK, row.review_id or 0)
    if via.url is not None:
        return _link(texts, row, via.url, "links/yp_question", then=reply, review_id=row.review_id)
    return Outgoing(
        texts.render("ypfeedback/question_for_coordinator", review_id=row.review_id, text=text),
        reply,
        protect_content=True,
    )


async def _yp_answer(svc: Services, texts: Texts, session: AsyncSession, row: Reminder) -> Composed:
    """A coordinator's answer, to the young person: discreet with a web companion."""
    answer = await yp_questions.message_for_sending(session, int(row.payload.get("answer_id", 0)))
    if answer is None or answer.reply_to_id is None:
        return Skip(ReminderStatus.SKIPPED, "answer removed")
    question = await yp_questions.message_for_sending(session, answer.reply_to_id)
    place = await session.get(Participant, row.participant_id or 0)
    if place is None or place.removed_at is not None:
        return Skip(ReminderStatus.SKIPPED, "no longer in the review")
    ask = keyboards.young_person_feedback(texts)
    via = deliver(svc.settings, Content.FEEDBACK, row.review_id or 0)
    if via.url is not None:
        return _link(texts, row, via.url, "links/yp_answer", easy=True, then=ask)
    return Outgoing(
        texts.render(
            "ypfeedback/answer_for_young_person",
            question=question.text if question else "",
            answer=answer.text,
        ),
        ask,
        protect_content=True,
    )


def _link(
    texts: Texts,
    row: Reminder,
    url: str,
    template: str,
    *,
    content: Content = Content.FEEDBACK,
    easy: bool = False,
    then: InlineKeyboardMarkup | None = None,
    **params: object,
) -> Outgoing:
    """The delivery policy's discreet message with the button to the page."""
    private = is_private_chat(row.chat_id)
    keyboard = keyboards.open_page(texts, content, url, private_chat=private, easy=easy, then=then)
    return Outgoing(texts.render(template, **params), keyboard, protect_content=True)


def _today(svc: Services, now: datetime) -> date:
    return now.astimezone(svc.settings.zone).date()


def _notice(texts: Texts, row: Reminder, action: Action, view: actions.ActionView) -> Composed:
    reason = row.payload.get("reason", "created")
    if action.version != row.payload.get("version"):
        return Skip(ReminderStatus.SKIPPED, "superseded")
    if row.participant_id != action.owner_participant_id:
        return Skip(ReminderStatus.SKIPPED, "owner changed")
    keyboard = (
        None if reason == "cancelled" else keyboards.action_owner(texts, view.id, view.version)
    )
    return Outgoing(texts.render("actions/notice", a=view, reason=reason), keyboard)


async def _report(texts: Texts, session: AsyncSession, row: Reminder) -> Composed:
    follow = await session.get(ReviewFollowUp, row.review_id or 0)
    if follow is not None and follow.report_sent_at is not None:
        return Skip(ReminderStatus.SKIPPED, "report sent")
    if row.kind == ReminderKind.REPORT_DUE:
        return Outgoing(
            texts.render(
                "followup/report_due", review_id=row.review_id, days=row.payload.get("days")
            )
        )
    easy = row.payload.get("role") == "young-person"
    return Outgoing(texts.render("followup/report_late", easy=easy))


async def _feedback(texts: Texts, session: AsyncSession, row: Reminder) -> Composed:
    step = await feedback.step_for(session, row.participant_id or 0)
    if step is None or step.question is None:
        return Skip(ReminderStatus.SKIPPED, "feedback given")
    step = feedback.in_language(step, texts.language)
    question = step.question
    assert question is not None  # translating keeps the question
    return Outgoing(
        texts.render("feedback/ask") + "\n\n" + texts.render("feedback/question", step=step),
        keyboards.feedback_question(step.participant_id, question.id, question.options),
    )


async def _pack(svc: Services, texts: Texts, session: AsyncSession, row: Reminder) -> Composed:
    allowed = (await consent.consent_state(session, row.review_id or 0)).share_allowed
    if allowed != row.payload.get("allowed"):
        return Skip(ReminderStatus.SKIPPED, "consent changed: planned again")
    if row.participant_id is not None:  # a panel member: the same rule as /pack, at sending
        member = await session.get(Participant, row.participant_id)
        places = [member] if member is not None and member.removed_at is None else []
        if packs.access(coordinator=False, places=places, consent_given=allowed) != packs.READ:
            return Skip(ReminderStatus.SKIPPED, "may not read the pack")
    if not allowed:
        return Outgoing(texts.render("pack/held_back", review_id=row.review_id))
    built = await packs.build(svc, session, row.review_id or 0)
    current = await packs.record_sent(  # the version the page shows
        svc, session, built, participant_id=row.participant_id, person_id=row.person_id
    )
    via = deliver(svc.settings, Content.PACK, current.review_id)
    if via.url is not None:
        return _link(
            texts,
            row,
            via.url,
            "links/pack",
            content=Content.PACK,
            review_id=current.review_id,
            version=current.version,
        )
    large = (
        await needs.wants_large_print(session, row.person_id)
        if row.person_id is not None
        else await needs.large_print_for_user(session, row.chat_id)
    )
    return Outgoing(
        texts.render("pack/caption", pack=current, large_print=large),
        document=packs.render(texts, current, large_print=large).encode(),
        filename=packs.filename(current),
        protect_content=via.protect_content,
    )


async def _digest(svc: Services, texts: Texts, session: AsyncSession, row: Reminder) -> Composed:
    person = await session.get(Person, row.person_id or 0)
    if person is None:
        return Skip(ReminderStatus.SKIPPED, "person gone")
    horizon = _today(svc, svc.now()) + timedelta(days=max(svc.settings.action_reminder_days))
    items = [
        await actions.view_of(svc, session, a)
        for a in await f.open_actions_of(session, person.id)
        if a.due_on <= horizon
    ]
    # A coordinator's digest also tells who joined their reviews since the last one.
    digest = await session.get(DigestPreference, person.id)
    joins: list[f.Join] = []
    if digest is not None and "day" in row.payload:
        start, end = f.digest_window(svc, date.fromisoformat(row.payload["day"]), digest.local_time)
        joins = await f.joins_in(svc, session, person, start, end)
    if not items and not joins:
        return Skip(ReminderStatus.SKIPPED, "nothing due")
    return Outgoing(texts.render("actions/digest", items=items, joins=joins))
