"""The panel pack: its sections, the consent hold-back, escaping, and who may get it."""

from __future__ import annotations

from pathlib import Path

import pytest

from cetr_bot.cli import main
from cetr_bot.domain import Role
from cetr_bot.services import pack
from cetr_bot.services.errors import NotAllowed
from cetr_bot.text import Texts
from tests.conftest import COORDINATOR_ID
from tests.helpers import CLI
from tests.pack.helpers import Sections, review_with_answers

SCRIPT = "<script>alert('x')</script> & <b>bold</b>"
AREAS = ["about_me", "communication", "kloe1", "kloe2", "kloe3", "kloe4"]


async def _html(svc, review_id) -> str:
    current = await pack.pack_for(svc, CLI, review_id=review_id)
    return pack.render(Texts(svc.settings.zone), current)


async def test_pack_has_every_section_with_the_young_persons_words_first(bot, client, svc):
    review_id, _ = await review_with_answers(svc, client, yp_text="I like drawing")
    parsed = Sections(await _html(svc, review_id))
    for name in [
        "review",
        "attendance",
        "consent",
        "flags",
        "last-actions",
        "missing",
        *[f"area-{a}" for a in AREAS],
    ]:
        assert name in parsed.text, name
    assert "Care, Education and Treatment Review" in parsed.text["review"]
    assert "Panel chair" in parsed.text["attendance"]
    assert "agreed" in parsed.text["consent"]
    about = parsed.text["area-about_me"]
    assert "I like drawing" in about and "Family view" in about
    assert about.index("I like drawing") < about.index("Family view")  # young person first
    assert (
        "Clinical view" in parsed.text["area-kloe1"] or "Clinical view" in parsed.text["area-kloe4"]
    )
    # The panel reads the adults' headings, not the young person's.
    assert "1. Is the young person safe?" in parsed.text["area-kloe1"]
    assert "About the young person" in about and "About me" not in about
    missing = parsed.text["missing"]
    assert "Preparation not sent: Panel chair" not in missing  # the panel has no bank
    assert "Required role not confirmed as attending: Commissioner" in missing


async def test_without_consent_the_young_persons_answers_are_held_back(bot, client, svc):
    review_id, _ = await review_with_answers(svc, client, share=False, yp_text="SECRET words")
    html = await _html(svc, review_id)
    parsed = Sections(html)
    assert "SECRET words" not in html
    assert "Family view" in parsed.text["area-about_me"]
    assert "not agreed" in parsed.text["consent"]
    assert "The young person's answers" in parsed.text["missing"]


async def test_typed_html_appears_as_text(bot, client, svc):
    review_id, _ = await review_with_answers(svc, client, yp_text=SCRIPT)
    html = await _html(svc, review_id)
    parsed = Sections(html)
    assert "script" not in parsed.tags
    assert SCRIPT in parsed.text["area-about_me"]
    assert "&lt;script&gt;" in html


async def test_pack_command_for_the_coordinator_and_the_panel_only(bot, client, svc):
    review_id, users = await review_with_answers(svc, client)
    coord = client.user(COORDINATOR_ID)
    docs = await coord.ask(f"/pack {review_id}", count=2)
    assert docs[0].document["file_name"] == f"cetr-review-{review_id}-pack-v1.html"
    assert docs[1].document["file_name"].endswith(".pdf")
    body = (await client.document(COORDINATOR_ID, docs[0].message_id)).decode()
    assert "I like drawing" in body
    pdf = await client.document(COORDINATOR_ID, docs[1].message_id)
    assert pdf.startswith(b"%PDF")
    chair = users[Role.PANEL_CHAIR]
    await chair.settle()
    docs = await chair.ask(f"/pack {review_id}", count=2)
    assert docs[0].document is not None
    for role in (Role.FAMILY, Role.CLINICIAN, Role.YOUNG_PERSON):
        await users[role].settle()
        [reply] = await users[role].ask(f"/pack {review_id}")
        # The young person is told in easy-read (errors/pack_not_allowed.easy.html).
        said = "for the people on the panel" if role is Role.YOUNG_PERSON else "only for the"
        assert reply.document is None and said in reply.plain
    [reply] = await client.user(2999).ask(f"/pack {review_id}")
    assert reply.document is None and "only for" in reply.plain


async def test_panel_of_another_review_cannot_get_it(bot, client, svc):
    first, _ = await review_with_answers(svc, client)
    from tests.preparation.helpers import join_as

    other = await join_as(svc, client, Role.PANEL_CHAIR, 2100)
    assert other.review_id != first
    with pytest.raises(NotAllowed):
        from cetr_bot.services.context import Actor

        await pack.pack_for(svc, Actor(2100, 2100), review_id=first)


async def test_cli_writes_the_pack(bot, client, svc, monkeypatch, tmp_path, database_url):
    review_id, _ = await review_with_answers(svc, client)
    monkeypatch.setenv("DATABASE_URL", database_url)
    target = tmp_path / "pack.html"
    import asyncio

    code = await asyncio.to_thread(main, ["pack", str(review_id), "-o", str(target)])
    assert code == 0
    assert "I like drawing" in await asyncio.to_thread(Path(target).read_text)


async def test_pack_goes_out_24_hours_before_only_with_consent(bot, client, svc):
    from datetime import timedelta

    from cetr_bot.services import reviews
    from tests.reminders.helpers import pending, tick

    coord = client.user(COORDINATOR_ID)
    await coord.ask("/start")
    review_id, users = await review_with_answers(svc, client, share=False)
    chair = users[Role.PANEL_CHAIR]
    await chair.settle()
    rows = [r for r in await pending(svc) if r.kind == "pack"]
    detail = await reviews.review_detail(svc, CLI, review_id)
    assert {r.chat_id for r in rows} == {COORDINATOR_ID}  # held back: coordinator only
    assert rows[0].due_at == detail.summary.at - timedelta(hours=24)
    await tick(svc, bot, at=rows[0].due_at)
    held = [m for m in await coord.settle() if "held back" in m.plain]
    assert held and "best-interests" in held[0].plain
    assert [m for m in await chair.settle() if m.document] == []
    # A best-interests decision: the pack goes to the panel at once, as a document.
    [reply] = await coord.ask(f"/bestinterests {review_id} She cannot decide at present")
    await tick(svc, bot)
    [doc] = [m for m in await chair.settle() if m.document]
    assert doc.document["file_name"] == f"cetr-review-{review_id}-pack-v1.html"
    body = (await client.document(2004, doc.message_id)).decode()
    assert "best-interests decision" in body and "I like drawing" in body
    # Nothing new: no second copy on the next change.
    await tick(svc, bot)
    assert [m for m in await chair.settle() if m.document] == []


async def test_a_late_submission_after_the_papers_went_out_makes_a_new_version(bot, client, svc):
    from cetr_bot.services import reviews
    from tests.pack.helpers import prepare
    from tests.preparation.helpers import join_as
    from tests.reminders.helpers import pending, tick

    review_id, users = await review_with_answers(svc, client)
    chair = users[Role.PANEL_CHAIR]
    detail = await reviews.review_detail(svc, CLI, review_id)
    await chair.settle()
    await tick(svc, bot, at=detail.summary.at - pack_hours(svc))
    [first] = [m for m in await chair.settle() if m.document]
    assert first.document["file_name"].endswith("-v1.html")
    late = await join_as(svc, client, Role.SOCIAL_WORKER, 2050, review_id=review_id)
    await prepare(late.user, Role.SOCIAL_WORKER, text="Late social work view")
    assert any(r.kind == "pack" for r in await pending(svc))
    await tick(svc, bot)
    [second] = [m for m in await chair.settle() if m.document]
    assert second.document["file_name"].endswith("-v2.html")
    body = (await client.document(2004, second.message_id)).decode()
    parsed = Sections(body)
    assert "updated version" in parsed.text["review"]
    assert "Late social work view" in body


def pack_hours(svc):
    from datetime import timedelta

    return timedelta(hours=svc.settings.pack_hours_before)
