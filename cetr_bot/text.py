"""Every user-facing sentence comes from messages/ through here.

Templates are HTML for Telegram's HTML parse mode, autoescaped so user text is
always safe. Short button labels live in messages/labels.toml.
"""

from __future__ import annotations

import html
import re
import tomllib
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from markupsafe import Markup

from cetr_bot.rules import RuleWarning
from cetr_bot.text_safety import clean_text

MESSAGES = Path(__file__).resolve().parents[1] / "messages"
_TAG = re.compile(r"<[^>]+>")


class Texts:
    """Renders message templates and labels, showing times in one time zone."""

    def __init__(self, zone: ZoneInfo, directory: Path = MESSAGES) -> None:
        self.zone = zone
        self.directory = directory
        self.env = Environment(
            loader=FileSystemLoader(directory),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=StrictUndefined,
            finalize=shown,
            auto_reload=False,  # the templates do not change while the bot runs: no stat()s
        )
        self.env.filters.update(
            when=self.when,
            day=self.day,
            time=self.clock,
            role=self.role,
            label=self.label,
            label_type=lambda v: self.labels["review_types"].get(str(v), str(v)),
            label_body=lambda v: self.labels["commissioner_bodies"].get(str(v), str(v)),
            isodate=lambda v: date.fromisoformat(str(v)),
            isodatetime=lambda v: datetime.fromisoformat(str(v)),
            warning=self.warning,
            label_rag=lambda v: self._section("dsr_colours", v),
            label_dsr_due=lambda v: self._section("dsr_due", v),
            label_basis=lambda v: self._section("dsr_bases", v),
            label_cetr_status=lambda v: self._section("dsr_cetr_status", v),
            label_dsr_change=lambda v: self._section("dsr_changes", v),
            label_recorded=lambda v: self._section("recorded_types", v),
        )
        self.env.globals["zone"] = str(zone)
        # Labels are plain text (buttons), so no HTML escaping there.
        self.plain_env = Environment(autoescape=False, undefined=StrictUndefined, finalize=shown)
        self.plain_env.filters.update(when=self.when, day=self.day, time=self.clock)
        self._labels_compiled: dict[str, Template] = {}

    @cached_property
    def labels(self) -> dict[str, Any]:
        with open(self.directory / "labels.toml", "rb") as fh:
            return tomllib.load(fh)

    def render(self, name: str, /, **context: Any) -> str:
        """Render messages/<name>.html; surrounding blank lines trimmed."""
        text = self.env.get_template(f"{name}.html").render(**context)
        return re.sub(r"\n{3,}", "\n\n", text).strip()

    def plain(self, name: str, /, **context: Any) -> str:
        """The same message as plain text, for the command line."""
        return to_plain(self.render(name, **context))

    def label(self, key: str, /, **context: Any) -> str:
        section, _, item = key.partition(".")
        template = self._labels_compiled.get(key)
        if template is None:  # compiled once: labels are drawn on every keyboard
            raw = self.labels[section][item] if item else self.labels[section]
            template = self._labels_compiled[key] = self.plain_env.from_string(str(raw))
        return template.render(**context)

    def warning(self, warning: RuleWarning) -> Markup:
        return Markup(self.render(f"warnings/{warning.code}", **warning.params))

    def _section(self, section: str, value: object) -> str:
        return str(self.labels[section].get(str(value), str(value)))

    def role(self, role: str) -> str:
        return str(self.labels["roles"].get(str(role), role))

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def when(self, moment: datetime) -> str:
        local = self.local(moment)
        return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M}"

    def day(self, value: date | datetime) -> str:
        if isinstance(value, datetime):
            value = self.local(value).date()
        return f"{value:%a} {value.day} {value:%b %Y}"

    def clock(self, moment: datetime) -> str:
        return f"{self.local(moment):%H:%M}"


def shown(value: Any) -> Any:
    """Every value a template shows (names, answers, places stored before cleaning
    existed) loses control and bidirectional-override characters on the way out."""
    if isinstance(value, Markup):
        return Markup(clean_text(str(value)))
    return clean_text(value) if isinstance(value, str) else value


def to_plain(text: str) -> str:
    return html.unescape(_TAG.sub("", text))
