"""Pushing updates to a webhook, as Telegram does once setWebhook is called.

Each pending update is POSTed as JSON to the webhook URL with the
X-Telegram-Bot-Api-Secret-Token header (when a secret_token was set), up to
max_connections at once but one at a time per user (chat), in order. A 2xx answer
confirms the update; anything else, or no answer within `webhook_timeout`, is recorded
in getWebhookInfo's last_error_* and the update is redelivered later, the delay doubling
up to a cap. Tests can spread deliveries over several URLs (a load balancer) and force a
redelivery of any update to a chosen URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from typing import Any

import aiohttp

from .state import SandboxState, WebhookDelivery

__all__ = ["SECRET_HEADER", "WebhookPusher"]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _key(update: dict[str, Any]) -> int:
    """Whose update it is (updates of one key go out one at a time, in order)."""
    for field in ("message", "edited_message", "callback_query", "channel_post"):
        body = update.get(field)
        if isinstance(body, dict):
            author = body.get("from") or body.get("chat") or {}
            if "id" in author:
                return int(author["id"])
    return 0


class WebhookPusher:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._in_flight: dict[int, asyncio.Task[None]] = {}  # update_id -> its POST
        self._busy_keys: set[int] = set()
        self._attempts: dict[int, int] = {}
        self._not_before: dict[int, float] = {}  # update_id -> monotonic time of next try
        self._turn = itertools.count()
        self._keys: dict[int, int] = {}  # update_id -> _key(update), worked out once

    def start(self) -> None:
        self._session = aiohttp.ClientSession(trust_env=False)
        self._task = asyncio.create_task(self._run(), name="sandbox-webhook-pusher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for task in list(self._in_flight.values()):
            task.cancel()
        await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    def _target(self) -> str | None:
        hook = self.state.webhook
        if hook is None:
            return None
        balance = self.state.webhook_balance
        if balance:
            return balance[next(self._turn) % len(balance)]
        return hook.url

    async def _run(self) -> None:
        state = self.state
        while not state.closing:
            state.webhook_wake.clear()
            wait = self._start_eligible()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await state.webhook_wake.wait()

    def _start_eligible(self) -> float:
        """Start every POST that may go now; returns how long to sleep at most."""
        hook = self.state.webhook
        if hook is None:
            return 1.0
        now = time.monotonic()
        soonest = 1.0
        seen: set[int] = set()
        for update in self.state.pending_updates():
            if len(self._in_flight) >= hook.max_connections:
                break
            update_id = update["update_id"]
            key = self._keys.get(update_id)
            if key is None:
                key = self._keys[update_id] = _key(update)
            if key in seen or update_id in self._in_flight or key in self._busy_keys:
                seen.add(key)
                continue
            seen.add(key)  # later updates of this key wait for this one
            not_before = self._not_before.get(update_id, 0.0)
            if not_before > now:
                soonest = min(soonest, not_before - now)
                continue
            url = self._target()
            if url is None:
                break
            self._busy_keys.add(key)
            self._in_flight[update_id] = asyncio.create_task(self._push(update, key, url))
        return max(soonest, 0.001)

    async def _push(self, update: dict[str, Any], key: int, url: str) -> None:
        update_id = int(update["update_id"])
        try:
            delivery = await self.post(update, url)
            if delivery.status is not None and 200 <= delivery.status < 300:
                self.state.confirm_update(update_id)
                self._keys.pop(update_id, None)
                self._attempts.pop(update_id, None)
                self._not_before.pop(update_id, None)
            else:
                attempts = self._attempts.get(update_id, 0) + 1
                self._attempts[update_id] = attempts
                delay = min(
                    self.state.webhook_retry_seconds * 2 ** (attempts - 1),
                    self.state.webhook_retry_cap_seconds,
                )
                self._not_before[update_id] = time.monotonic() + delay
        finally:
            self._in_flight.pop(update_id, None)
            self._busy_keys.discard(key)
            self.state.webhook_wake.set()

    async def post(
        self, update: dict[str, Any], url: str, *, forced: bool = False
    ) -> WebhookDelivery:
        """One POST of one update; recorded in state.deliveries whatever the answer."""
        assert self._session is not None
        hook = self.state.webhook
        headers = {SECRET_HEADER: hook.secret_token} if hook and hook.secret_token else {}
        update_id = int(update["update_id"])
        try:
            async with (
                asyncio.timeout(self.state.webhook_timeout),
                self._session.post(url, json=update, headers=headers) as response,
            ):
                await response.read()
                status: int | None = response.status
                error = (
                    None
                    if 200 <= response.status < 300
                    else f"Wrong response from the webhook: {response.status} {response.reason}"
                )
        except TimeoutError:
            status, error = None, "Read timeout expired"
        except aiohttp.ClientError:
            status, error = None, "Connection refused"
        if error is not None and not forced:
            self.state.note_webhook_error(error)
        delivery = WebhookDelivery(update_id, url, status, error, forced)
        self.state.deliveries.append(delivery)
        return delivery

    async def redeliver(
        self, update_ids: list[int], url: str | None = None
    ) -> list[WebhookDelivery]:
        """Test hook: POST these (already made) updates again, to `url` or the webhook's,
        at most max_connections at once; the pending queue is not touched."""
        target = url or (self.state.webhook.url if self.state.webhook else None)
        if target is None:
            raise ValueError("no webhook is set and no url was given")
        limit = asyncio.Semaphore(self.state.webhook.max_connections if self.state.webhook else 40)

        async def one(update_id: int) -> WebhookDelivery:
            update = self.state.history.get(update_id)
            if update is None:
                raise ValueError(f"no update {update_id}")
            async with limit:
                return await self.post(update, target, forced=True)

        return list(await asyncio.gather(*(one(u) for u in update_ids)))
