"""`make demo`: the sandbox and the real bot on embedded SQLite, with a scripted scenario.

Everything runs on this machine: the bot talks HTTP to the local sandbox exactly
as it would to Telegram, and simulated people press its buttons.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import SecretStr

from cetr_bot.config import Settings
from cetr_bot.runner import BotRunner, open_services, web_context
from cetr_bot.sandbox import Sandbox, SandboxClient, SandboxUser, SentMessage, start_sandbox
from cetr_bot.services.context import Services
from cetr_bot.storage import keys
from cetr_bot.storage.types import utcnow
from cetr_bot.text import Texts
from cetr_bot.web.server import WebServer

COORDINATOR = 1001
PEOPLE = {COORDINATOR: "Coordinator", 2001: "Parent", 2002: "Young person", 2003: "Clinician"}
FIRST_NAMES = {COORDINATOR: "Cora", 2001: "Dana", 2002: "Sam", 2003: "Dr Lee"}
TOKEN = re.compile(r"start=([A-Za-z0-9_-]+)")


class Transcript:
    """Prints what each simulated person typed and what the bot showed them."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def said(self, who: int, text: str) -> None:
        self._out(f"\n👤 {PEOPLE[who]}: {text}")

    def saw(self, who: int, messages: list[SentMessage]) -> None:
        for message in messages:
            self._out(f"🤖 → {PEOPLE[who]}:")
            for line in message.plain.splitlines():
                self._out(f"    {line}")
            if message.button_labels:
                self._out(
                    "    " + "  ".join(_shown(message, label) for label in message.button_labels)
                )

    def heading(self, text: str) -> None:
        self._out(f"\n=== {text} ===")

    def _out(self, line: str) -> None:
        self.lines.append(line)
        print(line, flush=True)


def _shown(message: SentMessage, label: str) -> str:
    """A button as the transcript shows it: a link button with where it goes."""
    url = message.links.get(label)
    return f"[{label} → {url}]" if url else f"[{label}]"


class Actor:
    def __init__(self, user: SandboxUser, user_id: int, transcript: Transcript) -> None:
        self.user, self.id, self.transcript = user, user_id, transcript

    async def say(self, text: str, count: int = 1) -> list[SentMessage]:
        self.transcript.said(self.id, text)
        replies = await self.user.ask(text, count=count)
        replies += await self.user.settle()
        self.transcript.saw(self.id, replies)
        return replies

    async def tap(self, label: str, count: int = 1) -> list[SentMessage]:
        self.transcript.said(self.id, f"[taps “{label}”]")
        # The newest message that has this button: a reminder arriving meanwhile (the
        # dispatcher runs throughout) may have buttons of its own.
        having = [m for m in await self.user.messages() if label in m.button_labels]
        target = having[-1] if having else None
        replies = await self.user.tap(label, count=count, message=target)
        replies += await self.user.settle()
        self.transcript.saw(self.id, replies)
        return replies


class DemoClock:
    """Real time, plus however far the demo has fast-forwarded."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


@dataclass
class DemoContext:
    """What each part of the demo script needs."""

    svc: Services
    runner: BotRunner
    sandbox: Sandbox
    client: SandboxClient
    transcript: Transcript
    clock: DemoClock
    folder: Path
    people: dict[int, Actor] = field(default_factory=dict)
    review_id: int = 0
    links: dict[int, str] = field(default_factory=dict)
    # Named moments of the story: a caller (the tests) may look at the running demo there.
    checkpoints: dict[str, Checkpoint] = field(default_factory=dict)

    async def checkpoint(self, name: str) -> None:
        if name in self.checkpoints:
            await self.checkpoints[name](self)


Checkpoint = Callable[["DemoContext"], Awaitable[None]]


async def run_demo(
    workdir: Path | None = None, checkpoints: dict[str, Checkpoint] | None = None
) -> int:
    folder = workdir or Path(tempfile.mkdtemp(prefix="cetr-demo-"))
    sandbox = await start_sandbox()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        bot_token=SecretStr(sandbox.token),
        telegram_api_url=sandbox.url,
        database_url=f"sqlite:///{folder / 'demo.db'}",
        coordinator_ids=[COORDINATOR],
        # Its own local key beside its database, whatever the environment says.
        data_encryption_keys=None,
        data_key_file=folder / "data.key",
    )
    resolved = keys.resolve(settings)
    if resolved.generated is not None:
        print(Texts(settings.zone).plain("keys/generated", path=resolved.generated), flush=True)
    svc = await open_services(settings, resolved)
    clock = DemoClock()
    svc.clock = clock
    runner = BotRunner(svc, poll_timeout=1)
    # The web companion on this machine: sensitive content is shown there, and chats get
    # links to it (the delivery policy). Telegram opens Mini Apps only over https, so
    # these local http links are plain link buttons that open in a browser.
    web = WebServer(web_context(svc, runner), host="127.0.0.1", port=0)
    await web.start()
    svc.settings = settings.model_copy(update={"web_base_url": web.url})
    await runner.start()
    sandbox.bot_idle = runner.until_idle  # people wait for the bot to finish, not for a pause
    try:
        async with SandboxClient(sandbox.url) as client:
            ctx = DemoContext(svc, runner, sandbox, client, Transcript(), clock, folder)
            ctx.checkpoints.update(checkpoints or {})
            ctx.transcript.heading(f"The web companion runs at {web.url}")
            await _scenario(ctx)
            await _later_parts(ctx)
    finally:
        await runner.stop()
        await web.stop()
        await svc.db.dispose()
        await sandbox.stop()
    print(f"\nDemo database: {folder / 'demo.db'}")
    return 0


async def _later_parts(ctx: DemoContext) -> None:
    """Each capability adds its part of the story in its own module."""
    from cetr_bot.demo import follow_up, preparation, register, reminders

    await preparation.play(ctx)
    await reminders.play(ctx)
    await follow_up.play(ctx)
    await register.play(ctx)


async def _scenario(ctx: DemoContext) -> None:
    client, transcript, settings = ctx.client, ctx.transcript, ctx.svc.settings
    people = {
        uid: Actor(client.user(uid, first_name=FIRST_NAMES[uid]), uid, transcript) for uid in PEOPLE
    }
    ctx.people = people
    coordinator = people[COORDINATOR]
    when = (ctx.clock() + timedelta(days=21)).astimezone(settings.zone)
    admitted = (ctx.clock() - timedelta(days=60)).astimezone(settings.zone)

    transcript.heading("The coordinator sets up an inpatient review")
    await coordinator.say("/start")
    await coordinator.say("/newreview")
    await coordinator.say("YP-0042")
    await coordinator.tap("Inpatient")
    await coordinator.say("14/03/2011")
    await coordinator.say(admitted.strftime("%d/%m/%Y"))
    await coordinator.say(when.strftime("%d/%m/%Y") + " 10:00")
    await coordinator.say("Video call (link sent separately)")
    done = await coordinator.tap("✅ Create the review")
    review_id = re.search(r"#(\d+)", done[-1].plain)
    assert review_id, "the review was not created"
    ctx.review_id = int(review_id[1])

    transcript.heading("The coordinator invites a parent, the young person and a clinician")
    links: dict[int, str] = {}
    for uid, role_label in (
        (2001, "Family member or carer"),
        (2002, "Young person"),
        (2003, "Responsible clinician or senior nurse"),
    ):
        [pick] = await coordinator.say("/invite")
        await coordinator.tap(pick.button_labels[0])
        created = await coordinator.tap(role_label)
        token = TOKEN.search(created[-1].plain)
        assert token, "no invitation link"
        links[uid] = token[1]
    ctx.links = links

    transcript.heading("Each person opens their link")
    for uid in (2001, 2002, 2003):
        await people[uid].say(f"/start {links[uid]}")

    transcript.heading("A link only works once")
    await people[2003].say(f"/start {links[2001]}")

    transcript.heading("The coordinator checks who has joined")
    await coordinator.say(f"/review {review_id[1]}")
