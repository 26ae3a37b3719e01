"""Inline keyboards. Callback data is short, ASCII and never trusted on its own:
every press is re-checked by a service before anything changes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from cetr_bot.domain import Answer, Need, ReviewType, Role
from cetr_bot.notifications import delivery_policy
from cetr_bot.notifications.callbacks import (
    DSR_ARGS,
    PICKS,
    PLAIN_CHOICES,
    ActionOwner,
    ApproveDeputy,
    AskFeedback,
    CancelReview,
    DecideDataRequest,
    DsrButton,
    DsrVerb,
    FeedbackAnswer,
    Invite,
    NeedButton,
    NewReview,
    OwnerVerb,
    PlainWordsChoice,
    ReplyQuestion,
    Rsvp,
    RsvpCode,
    SendFeedback,
)
from cetr_bot.services.reviews import ReviewSummary
from cetr_bot.text import Texts


def grid(buttons: Sequence[InlineKeyboardButton], width: int = 1) -> InlineKeyboardMarkup:
    rows = [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]
    return InlineKeyboardMarkup(rows)


def review_types(texts: Texts) -> InlineKeyboardMarkup:
    return grid(
        [
            InlineKeyboardButton(
                texts.labels["review_types"][t], callback_data=NewReview("type", t).pack()
            )
            for t in ReviewType
        ],
        width=3,
    )


def pick_team(names: Sequence[str]) -> InlineKeyboardMarkup:
    """A coordinator in several teams says which one a new review is for."""
    return grid(
        [
            InlineKeyboardButton(name, callback_data=NewReview("team", name).pack())
            for name in names
        ],
        width=2,
    )


def skip(texts: Texts, step: str) -> InlineKeyboardMarkup:
    return grid(
        [
            InlineKeyboardButton(
                texts.label("buttons.skip"), callback_data=NewReview(step, "skip").pack()
            )
        ]
    )


def confirm_new_review(texts: Texts) -> InlineKeyboardMarkup:
    return grid(
        [
            InlineKeyboardButton(
                texts.label("buttons.create"), callback_data=NewReview("confirm", "yes").pack()
            ),
            InlineKeyboardButton(
                texts.label("buttons.discard"), callback_data=NewReview("confirm", "no").pack()
            ),
        ]
    )


def pick_review(
    texts: Texts, reviews: Iterable[ReviewSummary], action: str, *, discreet: bool = False
) -> InlineKeyboardMarkup:
    """A button per review; `discreet` (a web companion holds the details): the number and
    the day only, no reference."""
    label = "buttons.review_choice_discreet" if discreet else "buttons.review_choice"
    return grid(
        [
            InlineKeyboardButton(
                texts.label(label, id=r.id, ref=r.ref, at=r.at),
                callback_data=PICKS[action](r.id).pack(),
            )
            for r in reviews
        ]
    )


def pick_role(texts: Texts, review_id: int) -> InlineKeyboardMarkup:
    return grid(
        [
            InlineKeyboardButton(texts.role(role), callback_data=Invite(review_id, role).pack())
            for role in Role
        ],
        width=2,
    )


def confirm_cancel(texts: Texts, review_id: int) -> InlineKeyboardMarkup:
    return grid(
        [
            InlineKeyboardButton(
                texts.label("buttons.yes_cancel"),
                callback_data=CancelReview(review_id, "yes").pack(),
            ),
            InlineKeyboardButton(
                texts.label("buttons.keep"), callback_data=CancelReview(review_id, "no").pack()
            ),
        ]
    )


def action_owner(texts: Texts, action_id: int, version: int) -> InlineKeyboardMarkup:
    """Done / update / help / not mine; the version makes older buttons stale."""
    verbs: tuple[tuple[OwnerVerb, str], ...] = (
        ("d", "done"),
        ("u", "update"),
        ("h", "help"),
        ("n", "not_mine"),
    )
    return grid(
        [
            InlineKeyboardButton(
                texts.label(f"action_buttons.{name}"),
                callback_data=ActionOwner(action_id, verb, version).pack(),
            )
            for verb, name in verbs
        ],
        width=2,
    )


def feedback_question(
    participant_id: int, question_id: str, options: Iterable[tuple[str, str]]
) -> InlineKeyboardMarkup:
    return grid(
        [
            InlineKeyboardButton(
                label, callback_data=FeedbackAnswer(participant_id, question_id, value).pack()
            )
            for value, label in options
        ],
        width=2,
    )


def young_person_feedback(texts: Texts) -> InlineKeyboardMarkup:
    return grid(
        [
            InlineKeyboardButton(
                texts.label("yp_feedback_buttons.ask"), callback_data=AskFeedback().pack()
            )
        ]
    )


def reply_question(texts: Texts, question_id: int) -> InlineKeyboardMarkup:
    """On the coordinator's copy of the young person's question."""
    return grid(
        [
            InlineKeyboardButton(
                texts.label("yp_feedback_buttons.reply"),
                callback_data=ReplyQuestion(question_id).pack(),
            )
        ]
    )


def needs_choices(
    texts: Texts, participant_id: int, on: Iterable[Need], *, easy: bool
) -> InlineKeyboardMarkup:
    """The /needs screen: one button per need, ticked when recorded (a press toggles)."""
    recorded = set(on)
    section = "needs_easy" if easy else "needs"
    return grid(
        [
            InlineKeyboardButton(
                texts.label(
                    "needs_buttons.choice",
                    on=need in recorded,
                    name=texts.label(f"{section}.{need}"),
                ),
                callback_data=NeedButton(participant_id, need.value).pack(),
            )
            for need in Need
        ]
    )


def needs_people(
    texts: Texts, people: Iterable[tuple[int, str, str | None]]
) -> InlineKeyboardMarkup:
    """A coordinator picks whose needs to record: (participant id, role, name)."""
    return grid(
        [
            InlineKeyboardButton(
                texts.label("needs_buttons.person", role=texts.role(role), name=name, id=pid),
                callback_data=NeedButton(pid, "show").pack(),
            )
            for pid, role, name in people
        ]
    )


def send_feedback(texts: Texts, review_id: int) -> InlineKeyboardMarkup:
    return grid(
        [
            InlineKeyboardButton(
                texts.label("yp_feedback_buttons.send"),
                callback_data=SendFeedback(review_id).pack(),
            )
        ]
    )


def plain_words(texts: Texts, writing: Literal["f", "a", "e", "r"]) -> InlineKeyboardMarkup:
    """Send words that read as hard for a young person anyway, or write them again."""
    return grid(
        [
            InlineKeyboardButton(
                texts.label(f"plain_words_buttons.{choice}"),
                callback_data=PlainWordsChoice(writing, choice).pack(),
            )
            for choice in PLAIN_CHOICES
        ]
    )


def approve_deputy(texts: Texts, participant_id: int) -> InlineKeyboardMarkup:
    """The coordinator lets a panel deputy read the papers (re-checked on the press)."""
    label = texts.label("buttons.approve", id=participant_id)
    return grid([InlineKeyboardButton(label, callback_data=ApproveDeputy(participant_id).pack())])


def decide_data_request(texts: Texts, request_id: int, kind: str) -> InlineKeyboardMarkup:
    """Approve or decline a person's request for their data or for erasure."""
    return grid(
        [
            InlineKeyboardButton(
                texts.label(f"buttons.data_{kind}_yes", id=request_id),
                callback_data=DecideDataRequest(request_id, "yes").pack(),
            ),
            InlineKeyboardButton(
                texts.label("buttons.data_no", id=request_id),
                callback_data=DecideDataRequest(request_id, "no").pack(),
            ),
        ],
        width=2,
    )


# --- attendance: `at:<participant id>:<choice>` ------------------------------------

PREFIX = Rsvp.PREFIX
CHOICES: dict[RsvpCode, Answer] = {"p": Answer.IN_PERSON, "v": Answer.VIDEO, "x": Answer.CANNOT}
ALTERNATIVES: dict[RsvpCode, Answer] = {
    "d": Answer.DEPUTY,
    "w": Answer.WRITTEN,
    "s": Answer.SUPPORTER,
}
# Nobody takes the young person's place: they are offered a supporter or advocate instead.
OFFERED: dict[bool, tuple[RsvpCode, ...]] = {True: ("w", "s"), False: ("d", "w")}


def rsvp_keyboard(t: Texts, participant_id: int) -> InlineKeyboardMarkup:
    def button(key: str, code: RsvpCode) -> InlineKeyboardButton:
        # Plain labels (no Jinja in them): read directly, as this runs for every reminder.
        label = str(t.labels["rsvp_buttons"][key])
        return InlineKeyboardButton(label, callback_data=Rsvp(participant_id, code).pack())

    return InlineKeyboardMarkup(
        [
            [button("in_person", "p"), button("video", "v")],
            [button("cannot", "x")],
        ]
    )


def alternatives_keyboard(t: Texts, participant_id: int, *, young: bool) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.label(f"rsvp_buttons.{ALTERNATIVES[code]}"),
                    callback_data=Rsvp(participant_id, code).pack(),
                )
            ]
            for code in OFFERED[young]
        ]
    )


# --- the Dynamic Support Register ----------------------------------------------------------


def dsr_open(texts: Texts, entry_id: int) -> InlineKeyboardMarkup:
    label = texts.label("dsr_buttons.open", id=entry_id)
    return grid([InlineKeyboardButton(label, callback_data=DsrButton(entry_id, "show").pack())])


def dsr_detail(
    texts: Texts, entry_id: int, version: int, in_hospital: bool
) -> InlineKeyboardMarkup:
    verbs: list[DsrVerb] = ["dis"] if in_hospital else ["rate", "admit"]
    verbs.append("hist")
    return grid(
        [
            InlineKeyboardButton(
                texts.label(f"dsr_buttons.{verb}"),
                callback_data=DsrButton(entry_id, verb, "-", version).pack(),
            )
            for verb in verbs
        ],
        width=2,
    )


def dsr_choices(texts: Texts, entry_id: int, verb: DsrVerb, version: int) -> InlineKeyboardMarkup:
    """The colours (rate, discharge) or in/out of area (admit) for one entry."""
    return grid(
        [
            InlineKeyboardButton(
                texts.label(f"dsr_buttons.{verb}_{arg}"),
                callback_data=DsrButton(entry_id, verb, arg, version).pack(),
            )
            for arg in DSR_ARGS[verb]
        ],
        width=3 if verb != "a" else 1,
    )


def page_button(
    texts: Texts,
    content: delivery_policy.Content,
    url: str,
    *,
    private_chat: bool = True,
    easy: bool = False,
) -> InlineKeyboardButton:
    """The button that opens a web companion page: a Mini App where Telegram allows one."""
    label = texts.label(f"web_buttons.{content}{'_easy' if easy else ''}")
    if delivery_policy.mini_app_allowed(url, private_chat=private_chat):
        return InlineKeyboardButton(label, web_app=WebAppInfo(url))
    return InlineKeyboardButton(label, url=url)


def open_page(
    texts: Texts,
    content: delivery_policy.Content,
    url: str,
    *,
    private_chat: bool = True,
    easy: bool = False,
    then: InlineKeyboardMarkup | None = None,
) -> InlineKeyboardMarkup:
    """The page's button first, then any buttons the message had anyway (`then`)."""
    rows = [[page_button(texts, content, url, private_chat=private_chat, easy=easy)]]
    if then is not None:
        rows += [list(row) for row in then.inline_keyboard]
    return InlineKeyboardMarkup(rows)
