"""Addresses of the web companion's pages: the one place chats and pages agree on them.

The chat side (notifications, handlers) builds links with these; the web side serves
exactly these paths. Ids in a path are only where to look: every page re-checks the
viewer's permission through the services, as the chat does.
With `WEB_BASE_URL` unset there is no web companion and every function returns None.
"""

from __future__ import annotations

from enum import StrEnum

from cetr_bot.config import Settings


class Page(StrEnum):
    DASHBOARD = "dashboard"  # the coordinator's reviews at a glance
    REVIEW = "review"  # one review: details, who is coming, progress, flags (by role)
    PACK = "pack"  # the panel pack (the one consent rule)
    ANSWERS = "answers"  # a participant's own answers, read back (id = review)
    FEEDBACK = "feedback"  # the young person's feedback (easy-read)
    FLAGS = "flags"  # safeguarding and rights flag details
    ACTIONS = "actions"  # a review's actions with owners and dates
    AUDIT = "audit"  # a review's audit trail
    REGISTER = "register"  # the Dynamic Support Register (id optional: one entry)
    MY_DATA = "mydata"  # a person's approved copy of their data (id = the request)


PATHS: dict[Page, str] = {
    Page.DASHBOARD: "/app/dashboard",
    Page.REVIEW: "/app/reviews/{id}",
    Page.PACK: "/app/reviews/{id}/pack",
    Page.ANSWERS: "/app/reviews/{id}/answers",
    Page.FEEDBACK: "/app/reviews/{id}/feedback",
    Page.FLAGS: "/app/reviews/{id}/flags",
    Page.ACTIONS: "/app/reviews/{id}/actions",
    Page.AUDIT: "/app/reviews/{id}/audit",
    Page.REGISTER: "/app/register",
    Page.MY_DATA: "/app/mydata/{id}",
}
SIGN_IN_PATH = "/signin/{token}"  # the single-use link sent by /web


def enabled(settings: Settings) -> bool:
    return bool(settings.web_base_url)


def path(page: Page, id: int | None = None) -> str:
    template = PATHS[page]
    if "{id}" in template:
        if id is None:
            raise ValueError(f"{page} needs an id")
        return template.format(id=int(id))
    return template if id is None else f"{template}/{int(id)}"


def url(settings: Settings, page: Page, id: int | None = None) -> str | None:
    """The page's public https address, or None without a web companion."""
    if not settings.web_base_url:
        return None
    return settings.web_base_url.rstrip("/") + path(page, id)


def sign_in_url(settings: Settings, token: str) -> str | None:
    if not settings.web_base_url:
        return None
    return settings.web_base_url.rstrip("/") + SIGN_IN_PATH.format(token=token)
