"""Without WEB_BASE_URL (the embedded local set-up) the content is sent in the chat, but
protected: documents and sensitive messages carry protect_content, so Telegram's apps
refuse to forward or save them. Calendar files stay unprotected: they are for saving."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cetr_bot.domain import Role
from cetr_bot.services import reviews
from tests.conftest import COORDINATOR_ID
from tests.helpers import CLI, add_review
from tests.pack.helpers import prepare
from tests.policy.helpers import ANSWER, CHAIR, FAMILY, HOSPITAL, REF, YP
from tests.preparation.helpers import join_as
from tests.reminders.helpers import tick

pytestmark = pytest.mark.timeout(240)


async def test_documents_and_sensitive_messages_are_protected(bot, client, svc, sandbox):
    assert svc.settings.web_base_url is None
    coord = client.user(COORDINATOR_ID)
    await coord.ask("/start")
    review_id = await add_review(svc, ref=REF, location=HOSPITAL)
    yp = await join_as(svc, client, Role.YOUNG_PERSON, YP, review_id=review_id)
    family = await join_as(svc, client, Role.FAMILY, FAMILY, review_id=review_id)
    chair = await join_as(svc, client, Role.PANEL_CHAIR, CHAIR, review_id=review_id)
    await prepare(yp.user, Role.YOUNG_PERSON, text=ANSWER)
    await prepare(family.user, Role.FAMILY, text=ANSWER)

    # Answers read back: in the chat, protected.
    await family.user.settle()
    summary = [m for m in await family.user.ask("/prepare") if ANSWER in m.plain]
    assert summary and all(m.protect_content for m in summary)

    # /review N's detail and /pack N's two files.
    [detail] = await coord.ask(f"/review {review_id}")
    assert REF in detail.plain and detail.protect_content and not detail.links
    docs = await coord.ask(f"/pack {review_id}", count=2)
    assert [d.document["file_name"][-4:] for d in docs] == ["html", ".pdf"]
    assert all(d.protect_content for d in docs)

    # A flag's details, read from the alert's button.
    await coord.settle()
    await family.user.ask("/concern They hurt me.", count=2)
    alerts = [m for m in await coord.wait_for() + await coord.settle() if m.callback_data]
    assert alerts and alerts[-1].protect_content
    [flag] = await coord.tap(alerts[-1].button_labels[0], message=alerts[-1])
    assert "They hurt me." in flag.plain and flag.protect_content

    # The scheduled pack, 24 hours before: a protected document for the panel.
    await chair.user.settle()
    at = (await reviews.review_detail(svc, CLI, review_id)).summary.at
    await tick(svc, bot, at=at - timedelta(hours=svc.settings.pack_hours_before))
    sent = [m for m in await chair.user.settle() if m.document]
    packs = [m for m in sent if m.document["file_name"].endswith(".html")]
    assert packs and all(m.protect_content for m in packs)

    # The calendar file is for saving: not protected (and the only unprotected document).
    await yp.user.settle()
    [current] = await yp.user.ask("/attend")
    [card] = [m for m in await yp.user.tap(current.button_labels[0], message=current) if m.document]
    assert card.document["file_name"].endswith(".ics") and not card.protect_content
    for chat_id in (COORDINATOR_ID, FAMILY, YP, CHAIR):
        for message in sandbox.chat_messages(chat_id):
            if message["document"] and not message["document"]["file_name"].endswith(".ics"):
                assert message["protect_content"], message["document"]["file_name"]
