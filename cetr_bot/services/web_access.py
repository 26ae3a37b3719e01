"""Signing in to the web companion, and who a browser is.

Two ways in. Inside Telegram, a Mini App page hands over Telegram's `initData`, signed
with a key only Telegram and this bot know (HMAC-SHA256, key = HMAC-SHA256("WebAppData",
bot token)); nothing else in the request is believed. Outside Telegram, `/web` makes a
single-use link valid for minutes. Either gives a session: a random id in an HttpOnly
cookie, stored as a SHA-256 hash, ending after WEB_SESSION_IDLE_MINUTES idle or
SESSION_MAX_HOURS after sign-in, whichever comes first. Each call is one transaction;
the audit trail gets ids only.

A session carries only the Telegram user id: every page builds the same `Actor` a chat
message from that user would, and asks the same services, which check everything again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.services.context import Actor, Services, audit
from cetr_bot.services.errors import NotAllowed
from cetr_bot.storage.coordinators import admin_chats
from cetr_bot.storage.models import Person
from cetr_bot.storage.models_web import SignInLink, WebSession

LINK_MINUTES = 10
SESSION_MAX_HOURS = 12
MAX_INIT_DATA = 4096  # Telegram's initData is well under this
CLOCK_SKEW_SECONDS = 60  # an auth_date this far in the future is still accepted


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- Telegram Mini App initData -------------------------------------------------------


def init_data_user(init_data: str, bot_token: str, *, now: datetime, max_age_seconds: int) -> int:
    """The Telegram user id that `init_data` was signed for, or NotAllowed: a bad or
    missing signature, another bot's, older than `max_age_seconds` or from the future."""
    if not init_data or len(init_data) > MAX_INIT_DATA or not bot_token:
        raise NotAllowed("web_init_data")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise NotAllowed("web_init_data") from None
    fields: dict[str, str] = {}
    for key, value in pairs:
        if key in fields:  # a repeated key: which one was signed? Neither is believed.
            raise NotAllowed("web_init_data")
        fields[key] = value
    given = fields.pop("hash", "")
    check = "\n".join(f"{k}={fields[k]}" for k in sorted(fields))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    expected = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given.lower()):
        raise NotAllowed("web_init_data")
    try:
        signed_at = int(fields["auth_date"])
        user_id = int(json.loads(fields["user"])["id"])
    except (KeyError, ValueError, TypeError):
        raise NotAllowed("web_init_data") from None
    age = now.timestamp() - signed_at
    if age > max_age_seconds or age < -CLOCK_SKEW_SECONDS:
        raise NotAllowed("web_init_data_stale")
    return user_id


# --- sessions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Signed:
    """A new session: `token` goes into the cookie and nowhere else."""

    token: str
    telegram_user_id: int
    max_age_seconds: int


async def _known(svc: Services, session: AsyncSession, telegram_user_id: int) -> bool:
    """Someone the bot knows: a person who has joined a review, a coordinator, an admin."""
    person = await session.scalar(
        select(Person.id).where(Person.telegram_user_id == telegram_user_id)
    )
    if person is not None:
        return True
    scope = await svc.team_scope(session, Actor(telegram_user_id))
    return (
        scope is None or scope.any or telegram_user_id in await admin_chats(svc.settings, session)
    )


def _new_session(svc: Services, session: AsyncSession, telegram_user_id: int, via: str) -> Signed:
    token = secrets.token_urlsafe(32)
    now = svc.now()
    cap = timedelta(hours=SESSION_MAX_HOURS)
    session.add(
        WebSession(
            session_hash=digest(token),
            telegram_user_id=telegram_user_id,
            via=via,
            created_at=now,
            last_seen_at=now,
            expires_at=now + cap,
        )
    )
    return Signed(token, telegram_user_id, int(cap.total_seconds()))


async def sign_in_mini_app(svc: Services, init_data: str) -> Signed:
    """A session for the user Telegram signed `init_data` for (NotAllowed otherwise)."""
    token = svc.settings.bot_token.get_secret_value() if svc.settings.bot_token else ""
    user_id = init_data_user(
        init_data, token, now=svc.now(), max_age_seconds=svc.settings.webapp_max_age_seconds
    )
    async with svc.db.transaction() as session:
        if not await _known(svc, session, user_id):
            audit(session, "web_sign_in_refused", actor=Actor(user_id), via="mini_app")
            known = False
        else:
            signed = _new_session(svc, session, user_id, "mini_app")
            audit(session, "web_sign_in", actor=Actor(user_id), via="mini_app")
            known = True
    if not known:
        raise NotAllowed("web_unknown_user")
    return signed


async def create_link(svc: Services, actor: Actor) -> str:
    """A single-use sign-in token for `actor` (the link is made by web_links)."""
    if actor.telegram_user_id is None:
        raise NotAllowed("web_link_cli")
    token = secrets.token_urlsafe(32)
    async with svc.db.transaction() as session:
        if not await _known(svc, session, actor.telegram_user_id):
            raise NotAllowed("web_unknown_user")
        now = svc.now()
        session.add(
            SignInLink(
                token_hash=digest(token),
                telegram_user_id=actor.telegram_user_id,
                created_at=now,
                expires_at=now + timedelta(minutes=LINK_MINUTES),
            )
        )
        audit(session, "web_link_made", actor=actor)
    return token


VALID, USED, EXPIRED, UNKNOWN = "valid", "used", "expired", "unknown"


async def link_state(svc: Services, token: str) -> str:
    """What a sign-in link is now, without using it (the confirm page's GET)."""
    async with svc.db.transaction() as session:
        link = await session.scalar(
            select(SignInLink).where(SignInLink.token_hash == digest(token))
        )
        return _state(svc, link)


def _state(svc: Services, link: SignInLink | None) -> str:
    if link is None:
        return UNKNOWN
    if link.used_at is not None:
        return USED
    return EXPIRED if link.expires_at <= svc.now() else VALID


async def redeem_link(svc: Services, token: str) -> Signed | str:
    """Use the link once: a session, or why not (USED, EXPIRED, UNKNOWN). The update is
    conditional, so two browsers pressing at once get one session between them."""
    now = svc.now()
    async with svc.db.transaction() as session:
        link = await session.scalar(
            select(SignInLink).where(SignInLink.token_hash == digest(token))
        )
        state = _state(svc, link)
        if link is None or state != VALID:
            audit(session, "web_link_refused", why=state)
            return state
        taken = await session.execute(
            update(SignInLink)
            .where(SignInLink.id == link.id, SignInLink.used_at.is_(None))
            .values(used_at=now)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            audit(session, "web_link_refused", why=USED)
            return USED
        signed = _new_session(svc, session, link.telegram_user_id, "link")
        audit(session, "web_sign_in", actor=Actor(link.telegram_user_id), via="link")
        return signed


async def actor_for(svc: Services, token: str | None) -> Actor | None:
    """The signed-in user behind a session cookie (and it counts as activity), or None:
    no such session, signed out, idle too long or past its cap."""
    if not token or len(token) > 100:
        return None
    now = svc.now()
    idle = timedelta(minutes=svc.settings.web_session_idle_minutes)
    async with svc.db.transaction() as session:
        row = await session.scalar(
            select(WebSession).where(WebSession.session_hash == digest(token))
        )
        if row is None or row.ended_at is not None:
            return None
        if row.expires_at <= now or row.last_seen_at + idle <= now:
            row.ended_at = now
            audit(session, "web_session_expired", actor=Actor(row.telegram_user_id))
            return None
        row.last_seen_at = now
        return Actor(row.telegram_user_id)


async def sign_out(svc: Services, token: str | None) -> bool:
    if not token:
        return False
    async with svc.db.transaction() as session:
        row = await session.scalar(
            select(WebSession).where(
                WebSession.session_hash == digest(token), WebSession.ended_at.is_(None)
            )
        )
        if row is None:
            return False
        row.ended_at = svc.now()
        audit(session, "web_sign_out", actor=Actor(row.telegram_user_id))
        return True


def idle_seconds(svc: Services) -> int:
    return svc.settings.web_session_idle_minutes * 60
