"""Retention beyond reviews, with a controlled clock: a Dynamic Support Register entry
loses its free text RETENTION_MONTHS after the young person left the register (never
while they are on it, nor while a review of theirs is on legal hold); the web
companion's sign-in links and sessions are deleted a day after they were used up or
ended, and with the person when retention anonymises them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from cetr_bot.cli import main
from cetr_bot.services import invitations, web_access
from cetr_bot.services.context import Actor, Services
from cetr_bot.services.errors import ServiceError
from cetr_bot.storage.models import AuditEvent, StartAttempt
from cetr_bot.storage.models_dsr import DsrAdmission, DsrChange, DsrEntry, RecordedReview
from cetr_bot.storage.models_web import SignInLink, WebSession
from tests.conftest import FakeClock
from tests.governance.helpers import close, seeded_review
from tests.helpers import add_review

WORDS = "Crisis at home, Grandma Rose"
WORKER = "Sam Keyworker"


def _add(capsys, ref: str) -> int:
    assert main(["dsr", "add", "--ref", ref, "--dob", "2011-02-03", "--rag", "red",
                 "--reason", WORDS, "--key-worker", WORKER]) == 0  # fmt: skip
    entry_id = int(capsys.readouterr().out.strip())
    assert main(["cetr", "record", "--ref", ref, "--type", "community", "--on", "2026-09-01",
                 "--outcome", f"Agreed: {WORDS}"]) == 0  # fmt: skip
    capsys.readouterr()
    return entry_id


async def _register(svc: Services) -> str:
    """Every value the register holds, decrypted, as one text to search."""
    async with svc.db.transaction() as session:
        rows = [
            [(e.id, e.rag, e.rag_reason, e.key_worker, e.left_on, str(e.data_removed_at))
             for e in await session.scalars(select(DsrEntry))],
            [(c.what, c.old, c.new, c.reason, c.by)
             for c in await session.scalars(select(DsrChange))],
            [(r.type, str(r.held_on), r.outcome, r.recorded_by)
             for r in await session.scalars(select(RecordedReview))],
            [(str(a.admitted_on), a.with_community_cetr)
             for a in await session.scalars(select(DsrAdmission))],
        ]  # fmt: skip
    return json.dumps(rows, default=str)


def test_a_register_entry_loses_its_free_text_months_after_leaving(
    env, capsys, do, clock: FakeClock
):
    entry_id = _add(capsys, "YP-R1")
    assert main(["dsr", "admit", str(entry_id), "--on", clock().date().isoformat()]) == 0
    assert main(["dsr", "discharge", str(entry_id), "--on", clock().date().isoformat(),
                 "--rag", "green"]) == 0  # fmt: skip
    capsys.readouterr()
    # On the register, nothing goes, however long.
    clock.advance(days=800)
    assert main(["retention", "--dry-run"]) == 0
    assert "Nothing is due for removal." in capsys.readouterr().out
    assert WORDS in do(_register)

    assert main(["dsr", "leave", str(entry_id), "--why", "not_at_risk"]) == 0
    out = capsys.readouterr().out
    assert "off the register" in out and "no longer at risk" in out and "12 months" in out
    assert main(["dsr", "list"]) == 0
    assert "YP-R1" not in capsys.readouterr().out  # off the list, and its reminders stop
    assert main(["dsr", "rate", str(entry_id), "--rag", "amber", "--reason", "x"]) == 1
    assert "off the register" in capsys.readouterr().err

    clock.advance(days=364)  # not yet 12 months after leaving
    assert main(["retention", "--dry-run"]) == 0
    assert "Nothing is due for removal." in capsys.readouterr().out
    clock.advance(days=2)
    before = do(_register)
    assert main(["retention", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"DSR #{entry_id}" in out and "would remove" in out
    assert "register_reasons: 1" in out and "register_key_workers: 1" in out
    assert "recorded_outcomes: 1" in out and "register_changes:" in out
    assert do(_register) == before  # the dry run changed nothing

    assert main(["retention"]) == 0
    assert f"DSR #{entry_id}" in capsys.readouterr().out
    after = do(_register)
    assert WORDS not in after and WORKER not in after
    assert '"green"' in after and "2026-09-01" in after  # colours and dates stay
    assert "true" in after or "false" in after  # the admission stays (the 90% standard)

    async def events(s: Services) -> list[AuditEvent]:
        async with s.db.transaction() as session:
            return list(
                await session.scalars(
                    select(AuditEvent).where(AuditEvent.kind == "retention_register_removed")
                )
            )

    [event] = do(events)
    assert event.detail["entry_id"] == entry_id and event.detail["counts"]["register_reasons"] == 1
    assert WORDS not in json.dumps(event.detail)
    assert main(["retention"]) == 0
    assert "Nothing is due for removal." in capsys.readouterr().out

    # Back on the register: a fresh entry, kept while they are on it.
    assert main(["dsr", "add", "--ref", "YP-R1", "--dob", "2011-02-03", "--rag", "amber",
                 "--reason", "New worry"]) == 0  # fmt: skip
    assert int(capsys.readouterr().out.strip()) == entry_id
    assert main(["dsr", "list"]) == 0
    assert "YP-R1" in capsys.readouterr().out
    clock.advance(days=800)
    assert main(["retention"]) == 0
    assert "New worry" in do(_register)


def test_a_legal_hold_on_a_review_keeps_the_register_entry(env, capsys, do, clock: FakeClock):
    entry_id = _add(capsys, "YP-R2")
    review_id = do(lambda s: add_review(s, ref="YP-R2"))
    assert main(["review", "hold-data", str(review_id), "--reason", "court order"]) == 0
    assert main(["dsr", "leave", str(entry_id), "--why", "moved_away"]) == 0
    capsys.readouterr()
    clock.advance(days=370)
    before = do(_register)
    assert main(["retention", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert (
        f"Register entries kept on legal hold (a review of theirs is held): DSR #{entry_id}" in out
    )
    assert main(["retention"]) == 0
    capsys.readouterr()
    assert do(_register) == before and WORDS in before

    assert main(["review", "release-data", str(review_id), "--reason", "case closed"]) == 0
    capsys.readouterr()
    assert main(["retention"]) == 0
    assert f"DSR #{entry_id}" in capsys.readouterr().out
    assert WORDS not in do(_register)


async def _web(svc: Services) -> tuple[list[int], list[tuple[int, bool]]]:
    async with svc.db.transaction() as session:
        links = [link.telegram_user_id for link in await session.scalars(select(SignInLink))]
        sessions = [
            (w.telegram_user_id, w.ended_at is None)
            for w in await session.scalars(select(WebSession))
        ]
    return sorted(links), sorted(sessions)


def test_finished_web_sign_ins_go_a_day_later(env, capsys, do, clock: FakeClock):
    do(lambda s: seeded_review(s))
    lee, ana = Actor(2003, 2003, "Lee"), Actor(2001, 2001, "Ana")

    async def sign_in(s: Services, actor: Actor) -> str:
        signed = await web_access.redeem_link(s, await web_access.create_link(s, actor))
        assert isinstance(signed, web_access.Signed)
        return signed.token

    lee_cookie = do(lambda s: sign_in(s, lee))  # a used link and a session
    do(lambda s: web_access.create_link(s, ana))  # a link never used: expires in 10 minutes
    ana_cookie = do(lambda s: sign_in(s, ana))
    do(lambda s: web_access.sign_out(s, ana_cookie))  # signed out at once
    clock.advance(hours=23)
    assert main(["retention", "--dry-run"]) == 0
    assert "Nothing is due for removal." in capsys.readouterr().out
    clock.advance(hours=2)  # a day and an hour since they were used up or ended
    fresh = do(lambda s: sign_in(s, ana))  # signed in just now: kept
    assert main(["retention", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "sign_in_links: 3" in out and "web_sessions: 2" in out and "would delete" in out
    assert len(do(_web)[0]) == 4
    assert main(["retention"]) == 0
    assert "deleted" in capsys.readouterr().out
    links, sessions = do(_web)
    assert links == [2001] and sessions == [(2001, True)]
    assert do(lambda s: web_access.actor_for(s, fresh)) == Actor(2001)  # still signed in
    assert do(lambda s: web_access.actor_for(s, lee_cookie)) is None

    async def audited(s: Services) -> dict:
        async with s.db.transaction() as session:
            event = await session.scalar(
                select(AuditEvent).where(AuditEvent.kind == "retention_run")
            )
            return dict(event.detail)

    assert do(audited)["web"] == {"sign_in_links": 3, "web_sessions": 2}


def test_retention_signs_out_the_people_it_anonymises(env, capsys, do, clock: FakeClock):
    seeded = do(lambda s: seeded_review(s))
    do(lambda s: close(s, seeded.review_id))
    clock.advance(days=367)

    async def sign_in(s: Services) -> str:
        signed = await web_access.redeem_link(
            s, await web_access.create_link(s, Actor(2003, 2003, "Lee"))
        )
        assert isinstance(signed, web_access.Signed)
        return signed.token

    cookie = do(sign_in)
    assert main(["retention"]) == 0
    assert "People whose names and Telegram ids go" in capsys.readouterr().out
    assert do(_web) == ([], [])
    assert do(lambda s: web_access.actor_for(s, cookie)) is None


def test_failed_link_attempts_go_a_day_later(env, capsys, do, clock: FakeClock):
    """start_attempts only throttle guessing within minutes: kept a day, then deleted."""

    async def attempt(s: Services) -> None:
        with pytest.raises(ServiceError):
            await invitations.redeem(s, Actor(2009, 2009, "Guess"), token="not-a-real-token")

    async def attempts(s: Services) -> int:
        async with s.db.transaction() as session:
            return len(list(await session.scalars(select(StartAttempt))))

    do(attempt)
    do(attempt)
    assert do(attempts) == 2
    clock.advance(hours=23)
    assert main(["retention"]) == 0
    assert do(attempts) == 2
    clock.advance(hours=2)
    do(attempt)  # a fresh one: kept
    assert main(["retention", "--dry-run"]) == 0
    assert "start_attempts: 2" in capsys.readouterr().out
    assert main(["retention"]) == 0
    assert do(attempts) == 1
