"""The update processor on its own: per-person order, bounded concurrency, idle lanes dropped."""

from __future__ import annotations

import asyncio
import random

from telegram import Chat, Message, Update, User

from cetr_bot.telegram.updates import PerPersonProcessor, key_of


def update_from(user_id: int, update_id: int) -> Update:
    user = User(user_id, "T", is_bot=False)
    chat = Chat(user_id, Chat.PRIVATE)
    return Update(update_id, message=Message(update_id, None, chat, from_user=user))  # type: ignore[arg-type]


async def test_each_persons_updates_run_in_arrival_order_and_people_overlap():
    processor = PerPersonProcessor(workers=4)
    done: dict[int, list[int]] = {}
    running, most = 0, 0
    rng = random.Random(7)

    async def handle(user_id: int, n: int) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(rng.random() / 200)
        done.setdefault(user_id, []).append(n)
        running -= 1

    tasks = []
    for n in range(60):
        user_id = n % 6
        update = update_from(user_id, n)
        tasks.append(asyncio.create_task(processor.process_update(update, handle(user_id, n))))
    await asyncio.gather(*tasks)

    assert {u: ns for u, ns in done.items()} == {u: list(range(u, 60, 6)) for u in range(6)}
    assert 1 < most <= 4  # different people at once, never more than the workers
    assert processor.lanes == 0  # nothing left behind once idle


async def test_a_busy_person_does_not_take_every_worker():
    processor = PerPersonProcessor(workers=2)
    release = asyncio.Event()
    order: list[str] = []

    async def busy(n: int) -> None:
        await release.wait()
        order.append(f"busy{n}")

    async def quick() -> None:
        order.append("other")

    backlog = [
        asyncio.create_task(processor.process_update(update_from(1, n), busy(n))) for n in range(10)
    ]
    await asyncio.wait_for(processor.process_update(update_from(2, 99), quick()), 1)
    assert order == ["other"]
    release.set()
    await asyncio.gather(*backlog)
    assert order[1:] == [f"busy{n}" for n in range(10)]


def test_updates_are_keyed_by_person():
    assert key_of(update_from(42, 1)) == 42
    assert key_of(object()) is None
