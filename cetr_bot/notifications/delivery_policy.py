"""Where sensitive content goes: one rule for every place that would show it in a chat.

Why. Telegram chats with a bot are cloud chats: not end-to-end encrypted, kept on
Telegram's servers, forwardable, and shown on lock screens. NHS England's guidance on
mobile messaging (reviewed by the ICO and the National Data Guardian) asks health and care
services to keep patient-identifiable information out of messaging apps and to use them
for nudges, not for the record. The panel pack, a review's details, safeguarding and
rights flag details, a person's answers read back and the young person's feedback are
special-category data about a child: they are "sensitive content" here.

The rule.
- `WEB_BASE_URL` set (there is a web companion): the content stays on our server. The
  chat gets a short discreet message (at most the review number the chat already uses;
  never the young person's name or reference, a hospital, a diagnosis or anyone's
  answers) with one button that opens the page. In a private chat over https that is a
  Mini App (`web_app`) button, so Telegram signs who opened it; elsewhere (a group, or a
  local http address, which Telegram refuses for Mini Apps) a plain `url` button. Every
  page re-checks the viewer's permission, so a link is only ever where to look.
- Unset (the embedded local set-up): the content is sent in the chat as before, with
  `protect_content` so Telegram's apps refuse to forward or save it.
- Either way the message is sent with `protect_content`: even the discreet link message
  is not for passing on.

Not sensitive, and deliberately not protected: nudges and reminders (written to be
discreet) and calendar (.ics) files, whose whole use is to be saved into a calendar and
which carry only the time, a neutral title and the place as set. That is why the bot
does not use python-telegram-bot's `Defaults(protect_content=True)`: it would lock every
calendar file too, and hide which sends are sensitive instead of naming them here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cetr_bot import web_links
from cetr_bot.config import Settings
from cetr_bot.web_links import Page


class Content(StrEnum):
    """Each kind of sensitive content that used to be sent into chats."""

    PACK = "pack"  # the panel pack (24 hours before, a later version, /pack N)
    REVIEW = "review"  # /review N's detail: names, reference, place, progress, flags
    FLAG = "flag"  # a safeguarding or rights flag's details (the words that raised it)
    ANSWERS = "answers"  # a participant's own preparation answers, read back
    FEEDBACK = "feedback"  # the young person's feedback (to them, from them, questions)
    MY_DATA = "my_data"  # a person's copy of their data (/mydata, approved; id = request)


PAGES: dict[Content, Page] = {
    Content.PACK: Page.PACK,
    Content.REVIEW: Page.REVIEW,
    Content.FLAG: Page.FLAGS,
    Content.ANSWERS: Page.ANSWERS,
    Content.FEEDBACK: Page.FEEDBACK,
    Content.MY_DATA: Page.MY_DATA,
}


@dataclass(frozen=True)
class Delivery:
    """How one piece of sensitive content reaches a chat."""

    url: str | None  # the page to link to; None: send the content itself
    protect_content: bool = True

    @property
    def as_link(self) -> bool:
        return self.url is not None


def deliver(settings: Settings, content: Content, review_id: int) -> Delivery:
    """The policy: a link to the page with a web companion, else the content, protected.
    (`review_id` is the page's id: for MY_DATA, the data request's.)"""
    return Delivery(url=web_links.url(settings, PAGES[content], review_id))


def mini_app_allowed(url: str, *, private_chat: bool) -> bool:
    """Telegram opens Mini Apps from inline buttons in private chats, and only over https."""
    return private_chat and url.lower().startswith("https://")


def is_private_chat(chat_id: int) -> bool:
    """Telegram's private chats have the user's (positive) id; groups and channels negative."""
    return chat_id > 0
