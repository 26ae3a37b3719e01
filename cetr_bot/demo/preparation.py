"""The preparation part of `make demo`: the parent and the young person answer their
questions (stopping and carrying on, a voice note, changing an answer), then the
coordinator sees their progress.

The script answers by question id and skips any question it does not know, so the
demo keeps working when the banks in messages/questions change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cetr_bot.services import preparation
from cetr_bot.services.context import Actor as ServiceActor

if TYPE_CHECKING:
    from cetr_bot.demo import Actor, DemoContext

PARENT, YOUNG_PERSON, COORDINATOR = 2001, 2002, 1001
SKIP = "⏭️ Skip"
VOICE = "voice"

# question id → ("say", text) | ("tap", option value) | ("voice", None)
PARENT_ANSWERS: dict[str, tuple[str, str | None]] = {
    "at_best": ("say", "Funny and kind. She loves trains and swimming."),
    "matters": ("say", "Being close to home, and seeing her little brother."),
    "communicates": ("say", "Short sentences and pictures. She needs time to answer."),
    "listened": ("tap", "3"),
    "risk_now": ("tap", "no"),
    "safety_worries": ("say", "She gets very upset when staff change at short notice."),
    "works": ("say", "Her key nurse, and a picture timetable."),
    "not_working": ("say", "Lots of agency staff. No lessons since October."),
    "support_missing": ("say", "Speech and language therapy, asked for in July."),
    "health": ("say", "She has put on weight since the new medication."),
    "ehc_plan": ("tap", "in_place"),
    "education": ("say", "No lessons on the ward at the moment."),
    "home_wanted": ("say", "A small home near us, with staff who know her."),
    "transition": ("tap", "talked"),
    "need_hospital": ("tap", "no"),
    "barriers": ("say", "No community provider has been found yet."),
    "last_actions": ("tap", "late"),
    "anything_else": ("say", "Thank you for listening to us."),
}
YOUNG_PERSON_ANSWERS: dict[str, tuple[str, str | None]] = {
    "like_doing": (VOICE, None),
    "important": ("say", "My mum and my brother"),
    "talk_how": ("tap", "pictures"),
    "feel_safe": ("tap", "yes"),
    "someone_to_talk": ("tap", "yes"),
    "help_now": ("tap", "3"),
    "helps_most": ("say", "My nurse Jo"),
    "change": ("say", "More time outside"),
    "live_where": ("tap", "family"),
    "future": ("say", "Work with animals"),
    "need_hospital": ("tap", "no"),
    "leave_help": ("say", "A home near my family"),
    "last_actions": ("tap", "late"),
    "anything_else": ("say", "I want to go home"),
}


async def play(ctx: DemoContext) -> None:
    transcript = ctx.transcript
    parent, young = ctx.people[PARENT], ctx.people[YOUNG_PERSON]

    transcript.heading("The parent starts preparing, stops for now, and carries on later")
    await parent.say("/prepare")
    await _answer(ctx, parent, PARENT_ANSWERS, limit=3)
    await parent.tap("✋ Stop for now")
    await parent.say("/prepare")
    await _answer(ctx, parent, PARENT_ANSWERS)

    transcript.heading("The parent changes one answer, then sends them to the panel")
    await parent.tap("✏️ 1. At their best")
    await parent.say("Funny, kind and brave. She loves trains and swimming.")
    await parent.tap("📨 Send to the panel")

    transcript.heading("The young person says who may see their answers, then answers")
    await young.say("/prepare")
    await young.tap("✅ Yes")  # the panel may see my answers
    await young.tap("✅ Yes")  # I want my family there
    await _answer(ctx, young, YOUNG_PERSON_ANSWERS)
    await young.tap("📨 Send to the panel")

    transcript.heading("The coordinator sees who has prepared")
    await ctx.people[COORDINATOR].say(f"/review {ctx.review_id}")


async def _answer(
    ctx: DemoContext,
    who: Actor,
    script: dict[str, tuple[str, str | None]],
    limit: int | None = None,
) -> None:
    """Answer questions in turn until the summary (or `limit` answers)."""
    actor = ServiceActor(who.id, who.id)
    [mine] = await preparation.prepared_memberships(ctx.svc, actor)
    answered = 0
    while limit is None or answered < limit:
        screen = await preparation.current_screen(ctx.svc, actor, mine.participant_id)
        question = screen.question
        if screen.kind != "question" or question is None:
            return
        how, value = script.get(question.id, ("skip", None))
        option = question.option(value) if value else None
        if how == "tap" and option is not None:
            await who.tap(option.label)
        elif how == "say" and value:
            await who.say(value)
        elif how == VOICE:
            await _voice_note(ctx, who)
        else:
            await who.tap(SKIP)
        answered += 1


async def _voice_note(ctx: DemoContext, who: Actor) -> None:
    ctx.transcript.said(who.id, "[sends a voice note 🎤]")
    await who.user.send_media("voice")
    replies = await who.user.wait_for()
    ctx.transcript.saw(who.id, replies + await who.user.settle())
