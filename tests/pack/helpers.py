"""Build a review whose participants have answered, and read a pack's HTML back."""

from __future__ import annotations

from html.parser import HTMLParser

from cetr_bot.domain import ReviewType, Role
from cetr_bot.sandbox import SandboxClient, SandboxUser
from cetr_bot.services.context import Services
from tests.preparation.helpers import (
    SEND,
    START,
    YES,
    join_as,
    questions,
    safe_choice,
)

NO = "🚫 No"


async def prepare(
    user: SandboxUser,
    role: Role,
    *,
    text: str,
    share: bool = True,
    review_type: ReviewType = ReviewType.INPATIENT,
) -> None:
    """Walk the whole bank (typed answers say `text`) and send it to the panel."""
    await user.tap(START)
    if role is Role.YOUNG_PERSON:
        await user.tap(YES if share else NO)
        await user.tap(YES)
    for question in questions(role, review_type):
        if question.kind in ("buttons", "yes_no", "scale"):
            await user.tap(safe_choice(question))
        elif question.kind == "date":
            await user.ask("31/01/2027")
        elif question.kind == "voice":
            await user.send_media("voice")
            await user.wait_for()
        else:
            await user.ask(f"{text} ({question.id})")
    await user.settle()
    await user.tap(SEND)


async def review_with_answers(
    svc: Services, client: SandboxClient, *, share: bool = True, yp_text: str = "I like drawing"
) -> tuple[int, dict[Role, SandboxUser]]:
    yp = await join_as(svc, client, Role.YOUNG_PERSON, 2002, first_name="Sam")
    review_id = yp.review_id
    users = {Role.YOUNG_PERSON: yp.user}
    for role, uid in ((Role.FAMILY, 2001), (Role.CLINICIAN, 2003), (Role.PANEL_CHAIR, 2004)):
        joined = await join_as(svc, client, role, uid, review_id=review_id)
        users[role] = joined.user
    await prepare(yp.user, Role.YOUNG_PERSON, text=yp_text, share=share)
    await prepare(users[Role.FAMILY], Role.FAMILY, text="Family view")
    await prepare(users[Role.CLINICIAN], Role.CLINICIAN, text="Clinical view")
    return review_id, users


class Sections(HTMLParser):
    """Text by <section id>, and every tag seen (to prove no script got through)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: dict[str, str] = {}
        self._stack: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag in ("section", "header"):
            self._stack.append(dict(attrs).get("id") or "")
            self.text.setdefault(self._stack[-1], "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("section", "header") and self._stack:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        for name in self._stack:
            self.text[name] += data
