"""Inline keyboards. Callback data is short, ASCII and never trusted on its own:
every press is re-checked by a service before anything changes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from cetr_bot.domain import Answer, ReviewType, Role
from cetr_bot.services.reviews import ReviewSummary
from cetr_bot.text import Texts

SEP = ":"


def data(*parts: object) -> str:
    return SEP.join(str(p) for p in parts)


def button(label: str, *parts: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data(*parts))


def grid(buttons: Sequence[InlineKeyboardButton], width: int = 1) -> InlineKeyboardMarkup:
    rows = [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]
    return InlineKeyboardMarkup(rows)


def review_types(texts: Texts) -> InlineKeyboardMarkup:
    return grid(
        [
            InlineKeyboardButton(
                texts.labels["review_types"][t], callback_data=data("nr", "type", t)
            )
            for t in ReviewType
        ],
        width=3,
    )


def pick_team(names: Sequence[str]) -> InlineKeyboardMarkup:
    """A coordinator in several teams says which one a new review is for."""
    return grid([button(name, "nr", "team", name) for name in names], width=2)


def skip(texts: Texts, step: str) -> InlineKeyboardMarkup:
    return grid(
        [InlineKeyboardButton(texts.label("buttons.skip"), callback_data=data("nr", step, "skip"))]
    )


def confirm_new_review(texts: Texts) -> InlineKeyboardMarkup:
    return grid(
        [
            InlineKeyboardButton(
                texts.label("buttons.create"), callback_data=data("nr", "confirm", "yes")
            ),
            InlineKeyboardButton(
                texts.label("buttons.discard"), callback_data=data("nr", "confirm", "no")
            ),
        ]
    )


def pick_review(
    texts: Texts, reviews: Iterable[ReviewSummary], action: str
) -> InlineKeyboardMarkup:
    return grid(
        [
            InlineKeyboardButton(
                texts.label("buttons.review_choice", id=r.id, ref=r.ref, at=r.at),
                callback_data=data(action, r.id),
            )
            for r in reviews
        ]
    )


def pick_role(texts: Texts, review_id: int) -> InlineKeyboardMarkup:
    return grid(
        [
            InlineKeyboardButton(texts.role(role), callback_data=data("inv", review_id, role))
            for role in Role
        ],
        width=2,
    )


def confirm_cancel(texts: Texts, review_id: int) -> InlineKeyboardMarkup:
    return grid(
        [
            InlineKeyboardButton(
                texts.label("buttons.yes_cancel"), callback_data=data("cx", review_id, "yes")
            ),
            InlineKeyboardButton(
                texts.label("buttons.keep"), callback_data=data("cx", review_id, "no")
            ),
        ]
    )


def action_owner(texts: Texts, action_id: int, version: int) -> InlineKeyboardMarkup:
    """Done / update / help / not mine; the version makes older buttons stale."""
    verbs = (("d", "done"), ("u", "update"), ("h", "help"), ("n", "not_mine"))
    return grid(
        [
            button(texts.label(f"action_buttons.{name}"), "ao", action_id, verb, version)
            for verb, name in verbs
        ],
        width=2,
    )


def feedback_question(
    participant_id: int, question_id: str, options: Iterable[tuple[str, str]]
) -> InlineKeyboardMarkup:
    return grid(
        [button(label, "fb", participant_id, question_id, value) for value, label in options],
        width=2,
    )


def young_person_feedback(texts: Texts) -> InlineKeyboardMarkup:
    return grid([button(texts.label("yp_feedback_buttons.ask"), "yq", "ask")])


def send_feedback(texts: Texts, review_id: int) -> InlineKeyboardMarkup:
    return grid([button(texts.label("yp_feedback_buttons.send"), "yf", review_id, "send")])


def approve_deputy(texts: Texts, participant_id: int) -> InlineKeyboardMarkup:
    """The coordinator lets a panel deputy read the papers (re-checked on the press)."""
    return grid([button(texts.label("buttons.approve", id=participant_id), "ap", participant_id)])


# --- attendance: `at:<participant id>:<choice>` ------------------------------------

PREFIX = "at"
CHOICES = {"p": Answer.IN_PERSON, "v": Answer.VIDEO, "x": Answer.CANNOT}
ALTERNATIVES = {"d": Answer.DEPUTY, "w": Answer.WRITTEN, "s": Answer.SUPPORTER}
# Nobody takes the young person's place: they are offered a supporter or advocate instead.
OFFERED = {True: ("w", "s"), False: ("d", "w")}


def rsvp_keyboard(t: Texts, participant_id: int) -> InlineKeyboardMarkup:
    def button(key: str, code: str) -> InlineKeyboardButton:
        # Plain labels (no Jinja in them): read directly, as this runs for every reminder.
        label = str(t.labels["rsvp_buttons"][key])
        return InlineKeyboardButton(label, callback_data=f"{PREFIX}:{participant_id}:{code}")

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
                    callback_data=f"{PREFIX}:{participant_id}:{code}",
                )
            ]
            for code in OFFERED[young]
        ]
    )
