"""The composition root: where the layers that may not import upwards are handed
what they call upwards.

- services.events → the reminder planner (scheduling), so a service's change re-plans
  reminders in its own transaction;
- the dispatcher (scheduling) → the composer (notifications) that turns rows into messages.

Importing this module wires the process (runner, cli, the worker, the demo and the
tests' conftest import it); `install()` is idempotent.
"""

from __future__ import annotations

from cetr_bot.notifications.compose import compose
from cetr_bot.scheduling.events import ReminderPlanner
from cetr_bot.scheduling.outgoing import install_composer
from cetr_bot.services import events


def install() -> None:
    events.install(ReminderPlanner())
    install_composer(compose)


install()
