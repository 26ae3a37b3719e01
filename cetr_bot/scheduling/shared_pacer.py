"""Send pacing shared by every process: Telegram's limits are per bot, not per process.

`SharedPacer` has the in-process Pacer's interface (the dispatcher uses either). It
keeps the in-process pacing as a first stage (each process still spreads its own
sends and picks chats that are free), and books every send, just before it goes, in
one shared slot store, which gives out the overall slots `gap` apart and a chat's
`chat_interval` apart, whichever process asks:

- PostgreSQL (`PostgresSlots`): one function call, `send_pacing_reserve`, under the row
  lock of the overall slot (migration 0011). No extra service to run.
- Redis (`RedisSlots`, when REDIS_URL is set): one Lua script, atomic in Redis.

Both take the time from the store's own clock, so the processes' clocks need not
agree. A chat that is busy past the next overall slot books nothing and is asked
again when it is free, so one busy chat never holds the others back.
`make_pacer` chooses from the settings (benchmarks/bench_pacer.py measures the stores).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol

import asyncpg
from sqlalchemy.engine import make_url

from cetr_bot.config import Settings
from cetr_bot.scheduling.delivery import Pacer

log = logging.getLogger(__name__)

# The chat the last reserve() of this task was for: a send task created right after it
# inherits it (tasks copy the context), for a dispatcher that calls issue() without one.
_reserved_chat: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "reserved_chat", default=None
)
FORGET_AFTER_SECONDS = 60.0  # chats idle this long are dropped from the store


class SlotStore(Protocol):
    async def reserve(
        self, chat_id: int | None, gap: float, chat_interval: float
    ) -> tuple[float, bool]:
        """(at, booked) in the store's clock: booked, the slot; else when the chat is free."""
        ...

    async def now(self) -> float:
        """The store's clock (epoch seconds)."""
        ...

    async def sending(self, chat_id: int | None, chat_interval: float, limit: int) -> float:
        """Just before a send: 0 if fewer than `limit` went in the last second (recorded,
        and the chat's next not before now + chat_interval), else when to ask again."""
        ...

    async def pause(self, seconds: float) -> None: ...

    async def forget_idle(self) -> None: ...

    async def close(self) -> None: ...


class PostgresSlots:
    """Its own small asyncpg pool: one prepared statement per booking in autocommit, so
    the lock on the overall slot is held for the function alone (measured: SQLAlchemy's
    checkout, pre-ping and reset-on-return made each booking five times slower)."""

    def __init__(self, database_url: str, pool_size: int = 4) -> None:
        self.url = make_url(database_url)
        self.pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def _connection_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    u = self.url
                    ssl = u.query.get("ssl") or u.query.get("sslmode")
                    self._pool = await asyncpg.create_pool(
                        host=u.host,
                        port=u.port,
                        user=u.username,
                        password=u.password,
                        database=u.database,
                        ssl=ssl if isinstance(ssl, str) else None,
                        min_size=1,
                        max_size=self.pool_size,
                    )
        return self._pool

    async def reserve(
        self, chat_id: int | None, gap: float, chat_interval: float
    ) -> tuple[float, bool]:
        pool = await self._connection_pool()
        row = await pool.fetchrow(
            "SELECT at, booked FROM send_pacing_reserve($1, $2, $3)", chat_id, gap, chat_interval
        )
        assert row is not None
        return float(row["at"]), bool(row["booked"])

    async def now(self) -> float:
        pool = await self._connection_pool()
        return float(await pool.fetchval("SELECT extract(epoch FROM clock_timestamp())::float8"))

    async def sending(self, chat_id: int | None, chat_interval: float, limit: int) -> float:
        pool = await self._connection_pool()
        return float(
            await pool.fetchval(
                "SELECT send_pacing_sending($1, $2, $3)", chat_id, chat_interval, limit
            )
        )

    async def pause(self, seconds: float) -> None:
        pool = await self._connection_pool()
        await pool.execute(
            "UPDATE send_pacing SET next_at = greatest(next_at,"
            " extract(epoch FROM clock_timestamp()) + $1) WHERE chat_id = 0",
            seconds,
        )

    async def forget_idle(self) -> None:
        pool = await self._connection_pool()
        await pool.execute(
            "DELETE FROM send_pacing WHERE chat_id <> 0"
            " AND next_at < extract(epoch FROM clock_timestamp()) - $1",
            FORGET_AFTER_SECONDS,
        )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


# KEYS[1] the overall slot, KEYS[2] (optional) the chat; ARGV gap, chat interval.
# Numbers go back as strings: Lua numbers would be cut to integers.
_RESERVE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
local gap, interval = tonumber(ARGV[1]), tonumber(ARGV[2])
if #KEYS > 1 then
  local free = tonumber(redis.call('GET', KEYS[2]) or '0')
  if free > slot then return {tostring(free), 0} end
  local ttl = math.ceil((slot + interval - now) * 1000) + 1000
  redis.call('SET', KEYS[2], string.format('%.6f', slot + interval), 'PX', ttl)
end
redis.call('SET', KEYS[1], string.format('%.6f', slot + gap), 'PX',
  math.ceil((slot + gap - now) * 1000) + 60000)
return {tostring(slot), 1}
"""
# KEYS[1] the sorted set of the last second's sends, KEYS[2], KEYS[3] (optional) the
# chat's next slot and its last real send;
# ARGV chat interval, limit, a unique member name.
_SENDING_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 1)
local limit = tonumber(ARGV[2])
if #KEYS > 2 then
  local sent = tonumber(redis.call('GET', KEYS[3]) or '0')
  if sent + tonumber(ARGV[1]) > now then return tostring(sent + tonumber(ARGV[1])) end
end
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], -limit, -limit, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + 1)
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], 2000)
if #KEYS > 2 then
  local free = now + tonumber(ARGV[1])
  if free > tonumber(redis.call('GET', KEYS[2]) or '0') then
    redis.call('SET', KEYS[2], string.format('%.6f', free), 'PX',
      math.ceil(tonumber(ARGV[1]) * 1000) + 1000)
  end
  redis.call('SET', KEYS[3], string.format('%.6f', now), 'PX',
    math.ceil(tonumber(ARGV[1]) * 1000) + 1000)
end
return '0'
"""
_PAUSE_LUA = """
local t = redis.call('TIME')
local until_ = tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[1])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > slot then
  redis.call('SET', KEYS[1], string.format('%.6f', until_), 'PX',
    math.ceil(tonumber(ARGV[1]) * 1000) + 60000)
end
return 1
"""


class RedisSlots:
    """Chat keys expire by themselves (PX), so nothing needs forgetting."""

    def __init__(self, url: str, prefix: str = "cetr:pace") -> None:
        from redis.asyncio import Redis

        self.redis: Any = Redis.from_url(url)
        self.prefix = prefix
        self._reserve = self.redis.register_script(_RESERVE_LUA)
        self._pause = self.redis.register_script(_PAUSE_LUA)
        self._sending = self.redis.register_script(_SENDING_LUA)

    async def reserve(
        self, chat_id: int | None, gap: float, chat_interval: float
    ) -> tuple[float, bool]:
        keys = [f"{self.prefix}:all"]
        if chat_id:
            keys.append(f"{self.prefix}:chat:{chat_id}")
        at, booked = await self._reserve(keys=keys, args=[repr(gap), repr(chat_interval)])
        return float(at), bool(int(booked))

    async def now(self) -> float:
        seconds, micros = await self.redis.time()
        return float(seconds) + float(micros) / 1_000_000

    async def sending(self, chat_id: int | None, chat_interval: float, limit: int) -> float:
        keys = [f"{self.prefix}:sent"]
        if chat_id:
            keys += [f"{self.prefix}:chat:{chat_id}", f"{self.prefix}:sent:{chat_id}"]
        member = uuid.uuid4().hex
        return float(await self._sending(keys=keys, args=[repr(chat_interval), limit, member]))

    async def pause(self, seconds: float) -> None:
        await self._pause(keys=[f"{self.prefix}:all"], args=[repr(seconds)])

    async def forget_idle(self) -> None:
        return None

    async def close(self) -> None:
        await self.redis.aclose()


class SharedPacer(Pacer):
    """The Pacer's interface; issue() waits for a slot booked in the shared store."""

    def __init__(
        self,
        store: SlotStore,
        rate: float,
        chat_interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(rate, chat_interval, clock)
        self.store = store
        self._background: set[asyncio.Task[None]] = set()
        self._forgot_at = clock()
        self._clock_offset: float | None = None
        self._offset_at = 0.0

    def reserve(self, chat_id: int) -> float:
        _reserved_chat.set(chat_id)
        return super().reserve(chat_id)

    async def issue(self, chat_id: int | None = None) -> None:
        """Return when this process may send (to chat_id, else the chat of the last
        reserve() this task saw): a slot is booked for it in the shared store."""
        chat = chat_id if chat_id is not None else _reserved_chat.get()
        offset = await self._offset()
        while True:
            at, booked = await self.store.reserve(chat, self.gap, self.chat_interval)
            # Slept until the slot in our own clock: how late the answer arrived (a busy
            # event loop) does not shift the send.
            delay = at - offset - self.clock()
            if delay > 0:
                await asyncio.sleep(delay)
            if booked:
                break
        # Woken late, this send is late: counted when it really goes (at most per_window
        # in any second, all processes together), and the chat's next waits from now.
        while True:
            again = await self.store.sending(chat, self.chat_interval, self.per_window)
            if again <= 0:
                break
            await asyncio.sleep(max(0.001, again - offset - self.clock()))
        if self.clock() - self._forgot_at > FORGET_AFTER_SECONDS:
            self._forgot_at = self.clock()
            await self.store.forget_idle()

    async def _offset(self) -> float:
        """The store's clock minus ours, from the quickest of a few round trips
        (measured again every minute, so drift does not build up)."""
        if self._clock_offset is None or self.clock() - self._offset_at > 60.0:
            samples = []
            for _ in range(5):
                before = self.clock()
                theirs = await self.store.now()
                after = self.clock()
                samples.append((after - before, theirs - (before + after) / 2))
            self._clock_offset, self._offset_at = min(samples)[1], self.clock()
        return self._clock_offset

    def pause(self, seconds: float) -> None:
        """Telegram said "retry after": every process waits (the store is told in the
        background; this process stops at once)."""
        super().pause(seconds)
        task = asyncio.get_running_loop().create_task(self._pause(seconds))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _pause(self, seconds: float) -> None:
        try:
            await self.store.pause(seconds)
        except Exception:  # noqa: BLE001 - this process pauses anyway; the others see 429s
            log.warning("could not share a flood wait with the other processes", exc_info=True)

    async def close(self) -> None:
        await asyncio.gather(*self._background, return_exceptions=True)
        await self.store.close()


def make_pacer(settings: Settings) -> Pacer:
    """The pacer the settings ask for: shared on PostgreSQL (Redis if REDIS_URL is set),
    in memory on SQLite or with SEND_PACING=local."""
    rate, interval = settings.send_rate_per_second, settings.send_chat_interval_seconds
    on_postgres = settings.database_url.startswith("postgresql")
    mode = settings.send_pacing
    if mode == "local" or (mode == "auto" and not on_postgres and settings.redis_url is None):
        return Pacer(rate, interval)
    if settings.redis_url is not None:
        # Telegram's limits are per bot: bots sharing one Redis get a budget each. The
        # token's first part is the bot's public id.
        token = settings.bot_token.get_secret_value() if settings.bot_token else ""
        prefix = f"cetr:pace:{token.partition(':')[0] or 'bot'}"
        store = RedisSlots(settings.redis_url.get_secret_value(), prefix)
        return SharedPacer(store, rate, interval)
    if on_postgres:
        return SharedPacer(PostgresSlots(settings.database_url), rate, interval)
    log.warning("SEND_PACING=shared needs PostgreSQL or REDIS_URL: pacing in this process only")
    return Pacer(rate, interval)
