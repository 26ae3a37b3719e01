"""Every user-facing sentence comes from messages/ through here.

Templates are HTML for Telegram's HTML parse mode, autoescaped so user text is
always safe. Short button labels live in messages/labels.toml.

Each person reads in their own language and, if they need it, in easy-read:
- English is messages/ itself; another language is messages/locales/<code>/ with the
  same relative paths. A template or label missing there falls back to English (the
  completeness test in tests/unit/test_languages.py keeps shipped languages whole).
- The easy-read version of messages/X.html is messages/X.easy.html; an easy-read Texts
  renders it when it exists, else X.html (with `easy` true in the context).
- Dates and times are formatted by Babel in the language, with the patterns in the
  language's labels ([formats]).
"""

from __future__ import annotations

import html
import re
import tomllib
from datetime import date, datetime
from functools import cache, cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, TemplateNotFound
from markupsafe import Markup

from cetr_bot.rules import RuleWarning
from cetr_bot.text_safety import clean_text

MESSAGES = Path(__file__).resolve().parents[1] / "messages"
DEFAULT_LANGUAGE = "en"
EASY = ".easy"  # messages/X.easy.html: the easy-read version of messages/X.html
_TAG = re.compile(r"<[^>]+>")


@cache
def languages(directory: Path = MESSAGES) -> tuple[str, ...]:
    """The languages shipped: English first, then each messages/locales/<code>/."""
    found = sorted(p.name for p in (directory / "locales").glob("*") if p.is_dir())
    return (DEFAULT_LANGUAGE, *found)


def language_for(code: str | None, directory: Path = MESSAGES) -> str:
    """A shipped language for an IETF tag from Telegram ("pl", "pl-PL"); else English."""
    primary = (code or "").replace("_", "-").split("-")[0].lower()
    return primary if primary in languages(directory) else DEFAULT_LANGUAGE


class Texts:
    """Renders message templates and labels in one language (and, for whoever needs
    it, easy-read), showing times in one time zone. Variants (`variant`) share their
    compiled templates, so a Texts per person costs nothing after the first."""

    def __init__(
        self,
        zone: ZoneInfo,
        directory: Path = MESSAGES,
        *,
        language: str = DEFAULT_LANGUAGE,
        easy: bool = False,
    ) -> None:
        self.zone = zone
        self.directory = directory
        self.language = language if language in languages(directory) else DEFAULT_LANGUAGE
        self.easy = easy
        self._family: dict[tuple[str, bool, str], Texts] = {self._key: self}
        self._chosen: dict[str, Template] = {}
        search = [directory]
        if self.language != DEFAULT_LANGUAGE:
            search.insert(0, directory / "locales" / self.language)
        self.env = Environment(
            loader=FileSystemLoader(search),
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

    @property
    def _key(self) -> tuple[str, bool, str]:
        return (self.language, self.easy, str(self.zone))

    def variant(
        self, *, language: str | None = None, easy: bool | None = None, zone: ZoneInfo | None = None
    ) -> Texts:
        """The same messages for another reader: their language, easy-read, time zone."""
        if language is None:
            language = self.language
        elif language not in languages(self.directory):
            language = DEFAULT_LANGUAGE
        key = (language, self.easy if easy is None else easy, str(zone or self.zone))
        found = self._family.get(key)
        if found is None:
            found = self._sibling(key, zone or self.zone)
        return found

    def _sibling(self, key: tuple[str, bool, str], zone: ZoneInfo) -> Texts:
        language, easy, _ = key
        same_env = next(
            (t for t in self._family.values() if t.language == language and t.zone == zone), None
        )
        if same_env is None:
            found = Texts(zone, self.directory, language=language, easy=easy)
        else:  # only easy-read differs: share the compiled templates and labels
            found = object.__new__(Texts)
            found.__dict__.update(same_env.__dict__)
            found.easy = easy
            found._chosen = {}
        found._family = self._family
        self._family[key] = found
        return found

    @cached_property
    def labels(self) -> dict[str, Any]:
        with open(self.directory / "labels.toml", "rb") as fh:
            labels = tomllib.load(fh)
        if self.language != DEFAULT_LANGUAGE:
            local = self.directory / "locales" / self.language / "labels.toml"
            if local.exists():
                with open(local, "rb") as fh:
                    _overlay(labels, tomllib.load(fh))
        return labels

    def render(self, name: str, /, **context: Any) -> str:
        """Render messages/<name>.html (or its easy-read version, for an easy-read
        reader), in this language; surrounding blank lines trimmed."""
        context.setdefault("easy", self.easy)
        text = self.template(name).render(**context)
        return re.sub(r"\n{3,}", "\n\n", text).strip()

    def has(self, name: str) -> bool:
        try:
            self.template(name)
        except TemplateNotFound:
            return False
        return True

    def template(self, name: str) -> Template:
        """messages/<name>.html as this reader gets it (easy-read version, language)."""
        chosen = self._chosen.get(name)
        if chosen is None:
            names = [f"{name}{EASY}.html", f"{name}.html"] if self.easy else [f"{name}.html"]
            chosen = self._chosen[name] = self.env.select_template(names)
        return chosen

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

    @cached_property
    def _formats(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self.labels["formats"].items()}

    def when(self, moment: datetime) -> str:
        """ "Tuesday 1 December 2026 at 15:00"; "wtorek, 1 grudnia 2026 o 15:00"."""
        pattern = self._formats["when"]
        return format_datetime(self.local(moment), pattern, locale=self.language)

    def day(self, value: date | datetime) -> str:
        if isinstance(value, datetime):
            value = self.local(value).date()
        return format_date(value, self._formats["day"], locale=self.language)

    def clock(self, moment: datetime) -> str:
        return format_datetime(self.local(moment), self._formats["time"], locale=self.language)


def _overlay(base: dict[str, Any], local: dict[str, Any]) -> None:
    """A language's labels over the English ones, section by section."""
    for key, value in local.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _overlay(base[key], value)
        else:
            base[key] = value


def shown(value: Any) -> Any:
    """Every value a template shows (names, answers, places stored before cleaning
    existed) loses control and bidirectional-override characters on the way out."""
    if isinstance(value, Markup):
        return Markup(clean_text(str(value)))
    return clean_text(value) if isinstance(value, str) else value


def to_plain(text: str) -> str:
    return html.unescape(_TAG.sub("", text))
