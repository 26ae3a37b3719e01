"""The preparation questions, read from messages/questions/*.toml.

Everything a question says or offers lives in those files, so adding, removing,
reordering or rewording one needs no change here. A bank is `<group>.toml` (which
names the roles that answer it) plus `<group>.<review type>.toml` when it exists.
Loading validates every file and fails with the file and question named.
"""

from __future__ import annotations

import html
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, Template
from markupsafe import Markup

from cetr_bot.domain import PANEL_ROLES, ReviewType, Role
from cetr_bot.services.harm_words import Found, Vocabulary, VocabularyError, parse_vocabulary
from cetr_bot.text import DEFAULT_LANGUAGE, MESSAGES, Texts, languages

QUESTIONS = MESSAGES / "questions"
KINDS = frozenset({"buttons", "yes_no", "scale", "date", "text", "voice"})
CHOICE_KINDS = frozenset({"buttons", "yes_no", "scale"})
TYPED_KINDS = frozenset({"text", "voice"})
ID = re.compile(r"^[a-z][a-z0-9_]{0,23}$")
MAX_OPTIONS = 8
# The hook for "actions since last time": see last_review_actions below.
LAST_REVIEW_ACTIONS = "last_review_actions"
HOOKS = frozenset({LAST_REVIEW_ACTIONS})


class BankError(ValueError):
    """A question file that cannot be used; the message names the file and question."""


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Question:
    id: str
    area: str
    kind: str
    text: str  # Jinja2 source, Telegram HTML
    short: str
    options: tuple[Option, ...] = ()
    alert_on: frozenset[str] = frozenset()
    voice: bool = False
    min_age: int | None = None
    future: bool = False
    hook: str | None = None
    action_id: int | None = None  # set when asking about one action from the last review
    action: str | None = None  # that action's words, shown under the question

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)

    @property
    def words(self) -> str:
        """The question on one line, for the coordinator: no markup, no emoji-only lines."""
        text = re.sub(r"<[^>]+>|\{\{.*?\}\}|\{%.*?%\}", "", self.text)
        lines = [line.strip() for line in text.splitlines() if any(c.isalpha() for c in line)]
        return html.unescape(" ".join(lines))

    @property
    def takes_voice(self) -> bool:
        return self.kind == "voice" or (self.kind == "text" and self.voice)


@dataclass(frozen=True)
class Bank:
    group: str
    review_type: ReviewType
    easy_read: bool
    scan_for_harm: bool
    questions: tuple[Question, ...]
    # The summary's headings, in order: the young person's for an easy-read bank, the
    # adults' (_shared.toml [adult_areas]) for every other.
    areas: dict[str, str] = field(default_factory=dict)

    def for_age(self, age: int | None) -> tuple[Question, ...]:
        """The questions for a young person of this age (unknown age: all of them)."""
        return tuple(
            q for q in self.questions if q.min_age is None or age is None or age >= q.min_age
        )

    def get(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


@dataclass(frozen=True)
class Library:
    areas: dict[str, str]  # the young person's headings
    banks: dict[tuple[str, ReviewType], Bank]
    groups: dict[Role, str]
    harm_words: Vocabulary
    concerns: tuple[Option, ...] = field(default=())
    adult_areas: dict[str, str] = field(default_factory=dict)  # everyone else's, the pack's

    def bank_for(self, role: Role | str, review_type: ReviewType | str) -> Bank | None:
        group = self.groups.get(Role(role))
        return self.banks.get((group, ReviewType(review_type))) if group else None

    def mentions_harm(self, text: str) -> bool:
        return self.harm_words.scan(text).harm

    def scan_for_harm(self, text: str) -> Found:
        """Which safeguarding phrases the text uses (safeguarding.toml)."""
        return self.harm_words.scan(text)

    def concern(self, category: str) -> Option | None:
        return next((c for c in self.concerns if c.value == category), None)


def normalise(text: str) -> str:
    """Lower case, apostrophes dropped, anything else that is not a letter or digit a space."""
    text = text.lower().replace("'", "").replace("’", "")
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


@cache
def library(language: str = DEFAULT_LANGUAGE) -> Library:
    """The banks in messages/questions (or a language's messages/locales/<code>/questions:
    the same ids, kinds and option values, the words translated), loaded once per process.
    English is the structure every walk-through follows; a language only gives words."""
    if language == DEFAULT_LANGUAGE or language not in languages():
        return load_library(QUESTIONS)
    local = MESSAGES / "locales" / language / "questions"
    return load_library(local) if local.is_dir() else library()


@cache
def _translations(language: str) -> dict[tuple[str, str], Question]:
    """(question id, English text) → the same question in `language`."""
    english, local = library(), library(language)
    table: dict[tuple[str, str], Question] = {}
    for key, bank in english.banks.items():
        other = local.banks.get(key)
        for question in bank.questions if other is not None else ():
            found = other.get(question.id) if other is not None else None
            if found is not None:
                table[(question.id, question.text)] = found
    return table


def in_language(question: Question, language: str) -> Question:
    """The question with its words (text, short, option labels) in `language`; the
    same id, kind and option values, so answers are stored the same in every language.
    Untranslated (or a question made from an action's words): as it is."""
    if language == DEFAULT_LANGUAGE:
        return question
    found = _translations(language).get((question.id, question.text))
    if found is None:
        return question
    labels = {o.value: o.label for o in found.options}
    options = tuple(Option(o.value, labels.get(o.value, o.label)) for o in question.options)
    return replace(question, text=found.text, short=found.short, options=options)


def scan_for_harm(text: str) -> Found:
    """Safeguarding phrases in any shipped language: someone may write in either."""
    found = library().scan_for_harm(text)
    for language in languages()[1:]:
        if found.harm:
            break
        found = library(language).scan_for_harm(text)
    return found


def mentions_harm(text: str) -> bool:
    return scan_for_harm(text).harm


def has_questions(role: Role, review_type: ReviewType) -> bool:
    """Someone in this role has a walk-through for this type of review."""
    return library().bank_for(role, review_type) is not None


def load_library(directory: Path) -> Library:
    shared = _read(directory / "_shared.toml")
    areas = {str(k): str(v) for k, v in shared.get("areas", {}).items()}
    adult = {str(k): str(v) for k, v in shared.get("adult_areas", {}).items()}
    if list(adult) != list(areas):
        raise BankError("_shared.toml: [adult_areas] must name the areas of [areas], in order")
    defaults = {
        kind: _options(shared.get(kind, {}).get("options", []), "_shared.toml", kind)
        for kind in ("yes_no", "scale")
    }
    banks: dict[tuple[str, ReviewType], Bank] = {}
    groups: dict[Role, str] = {}
    for path in sorted(directory.glob("*.toml")):
        if path.name.startswith("_") or "." in path.stem or path.stem in NOT_BANKS:
            continue
        meta, base = _base(directory, path, areas, defaults)
        for role in _roles(meta, path):
            if role in groups:
                raise BankError(f"{path.name}: role {role} already answers {groups[role]}")
            groups[role] = path.stem
        for review_type in ReviewType:
            extra = directory / f"{path.stem}.{review_type}.toml"
            voice = bool(meta.get("voice_welcome", False))
            added = (
                _questions(_read(extra), extra.name, areas, defaults, voice)
                if extra.exists()
                else []
            )
            banks[(path.stem, review_type)] = Bank(
                group=path.stem,
                review_type=review_type,
                easy_read=bool(meta.get("easy_read", False)),
                scan_for_harm=bool(meta.get("scan_for_harm", False)),
                questions=_merge(base, added, extra.name),
                areas=areas if meta.get("easy_read", False) else adult,
            )
    _check_types_known(directory)
    concerns = _read(directory / "concerns.toml").get("categories", [])
    return Library(
        areas=areas,
        banks=banks,
        groups=groups,
        harm_words=_vocabulary(directory / "safeguarding.toml"),
        concerns=tuple(Option(str(c["id"]), str(c["label"])) for c in concerns),
        adult_areas=adult,
    )


NOT_BANKS = frozenset({"safeguarding", "concerns"})


def _vocabulary(path: Path) -> Vocabulary:
    try:
        return parse_vocabulary(_read(path))
    except VocabularyError as exc:
        raise BankError(f"{path.name}: {exc}") from exc


def _read(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BankError(f"{path.name}: {exc}") from exc


def _base(
    directory: Path, path: Path, areas: dict[str, str], defaults: dict[str, tuple[Option, ...]]
) -> tuple[dict[str, Any], list[tuple[Question, str | None]]]:
    data = _read(path)
    meta = data.get("bank")
    if not isinstance(meta, dict):
        raise BankError(f"{path.name}: a [bank] table is needed")
    voice = bool(meta.get("voice_welcome", False))
    questions = _questions(data, path.name, areas, defaults, voice)
    for name in meta.get("include", []):
        included = directory / f"{name}.toml"
        questions += _questions(_read(included), included.name, areas, defaults, voice)
    if any(after for _, after in questions):
        raise BankError(f"{path.name}: `after` belongs in review-type files only")
    _merge(questions, [], path.name)  # duplicate ids are this file's fault
    return meta, questions


def _roles(meta: dict[str, Any], path: Path) -> list[Role]:
    roles = []
    for name in meta.get("roles", []):
        try:
            role = Role(name)
        except ValueError:
            raise BankError(f"{path.name}: unknown role {name!r}") from None
        if role in PANEL_ROLES:
            raise BankError(f"{path.name}: the panel ({role}) has no preparation questions")
        roles.append(role)
    if not roles:
        raise BankError(f"{path.name}: [bank] roles is empty")
    return roles


def _check_types_known(directory: Path) -> None:
    for path in directory.glob("*.*.toml"):
        group, _, kind = path.stem.partition(".")
        if kind not in {str(t) for t in ReviewType} or not (directory / f"{group}.toml").exists():
            raise BankError(f"{path.name}: not <group>.<community|post-admission|inpatient>.toml")


def _merge(
    base: list[tuple[Question, str | None]], added: list[tuple[Question, str | None]], where: str
) -> tuple[Question, ...]:
    order = [q for q, _ in base]
    for question, after in added:
        if after is None:
            order.append(question)
            continue
        index = next((i for i, q in enumerate(order) if q.id == after), None)
        if index is None:
            raise BankError(f"{where}: {question.id}: no question {after!r} to go after")
        order.insert(index + 1, question)
    ids = [q.id for q in order]
    duplicate = next((i for i in ids if ids.count(i) > 1), None)
    if duplicate:
        raise BankError(f"{where}: question id {duplicate!r} is used twice in the bank")
    return tuple(order)


def _questions(
    data: dict[str, Any],
    where: str,
    areas: dict[str, str],
    defaults: dict[str, tuple[Option, ...]],
    voice_welcome: bool = False,
) -> list[tuple[Question, str | None]]:
    entries = data.get("questions", [])
    if not isinstance(entries, list):
        raise BankError(f"{where}: questions must be [[questions]] tables")
    return [_question(e, where, areas, defaults, voice_welcome) for e in entries]


def _question(
    entry: dict[str, Any],
    where: str,
    areas: dict[str, str],
    defaults: dict[str, tuple[Option, ...]],
    voice_welcome: bool,
) -> tuple[Question, str | None]:
    qid = str(entry.get("id", ""))
    at = f"{where}: question {qid or '(no id)'}"
    if not ID.match(qid):
        raise BankError(f"{at}: id must be a-z, 0-9 and _, up to 24 characters")
    kind, area = entry.get("kind"), entry.get("area")
    if kind not in KINDS:
        raise BankError(f"{at}: kind must be one of {', '.join(sorted(KINDS))}")
    if area not in areas:
        raise BankError(f"{at}: area must be one of {', '.join(areas)}")
    text, short = entry.get("text"), entry.get("short")
    if not isinstance(text, str) or not text.strip():
        raise BankError(f"{at}: text is missing")
    if not isinstance(short, str) or not 0 < len(short) <= 40:
        raise BankError(f"{at}: short must be 1 to 40 characters")
    options = _options(entry.get("options", []), where, qid) or defaults.get(kind, ())
    _check_options(at, kind, options, entry)
    hook = entry.get("hook")
    if hook is not None and hook not in HOOKS:
        raise BankError(f"{at}: unknown hook {hook!r}")
    question = Question(
        id=qid,
        area=area,
        kind=kind,
        text=text.strip(),
        short=short,
        options=options if kind in CHOICE_KINDS else (),
        alert_on=frozenset(str(v) for v in entry.get("alert_on", [])),
        voice=bool(entry.get("voice", voice_welcome)),
        min_age=_optional_int(entry.get("min_age"), at),
        future=bool(entry.get("future", False)),
        hook=hook,
    )
    unknown = question.alert_on - {o.value for o in question.options}
    if unknown:
        raise BankError(f"{at}: alert_on names no option: {', '.join(sorted(unknown))}")
    after = entry.get("after")
    return question, str(after) if after is not None else None


def _check_options(at: str, kind: str, options: tuple[Option, ...], entry: dict[str, Any]) -> None:
    if kind in CHOICE_KINDS and not options:
        raise BankError(f"{at}: a {kind} question needs options")
    if kind not in CHOICE_KINDS and "options" in entry:
        raise BankError(f"{at}: a {kind} question has no options")
    if len(options) > MAX_OPTIONS:
        raise BankError(f"{at}: at most {MAX_OPTIONS} options")
    values = [o.value for o in options]
    if len(set(values)) != len(values):
        raise BankError(f"{at}: option values must differ")


def _options(raw: Iterable[Any], where: str, qid: str) -> tuple[Option, ...]:
    options = []
    for item in raw:
        if not isinstance(item, dict) or not item.get("value") or not item.get("label"):
            raise BankError(f"{where}: question {qid}: each option needs a value and a label")
        options.append(Option(str(item["value"]), str(item["label"])))
    return tuple(options)


def _optional_int(value: Any, at: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or not 0 <= value <= 25:
        raise BankError(f"{at}: min_age must be a whole number of years")
    return value


# --- hooks --------------------------------------------------------------------------


@dataclass(frozen=True)
class LastAction:
    """An action agreed at the previous review (the actions capability will supply them)."""

    id: int
    title: str


def expand_last_actions(question: Question, actions: list[LastAction]) -> list[Question]:
    """HOOK "last_review_actions": one question per action from the last review.

    With no list of actions (there is no actions table yet) the bank's generic
    question about all of them is asked. Once the actions capability can list a
    review's previous actions, pass them here; each gets the same choices, its
    own id (so its answer is stored separately) and its title in `short`.
    """
    if not actions:
        return [question]
    return [
        replace(
            question,
            id=f"{question.id}_{a.id}"[:40],
            short=a.title[:40],
            action_id=a.id,
            action=a.title,
        )
        for a in actions
    ]


# --- showing a question ------------------------------------------------------------------


def render_question(texts: Texts, question: Question, **context: Any) -> Markup:
    """The question's text (Jinja2 in the bank file), autoescaped like every template."""
    return Markup(_compiled(texts.env, question.text).render(**context).strip())


@lru_cache(maxsize=1024)
def _compiled(env: Environment, source: str) -> Template:
    return env.from_string(source)
