"""Every shipped language is complete: each English template, label and question exists in
it with the same placeholders, and question banks keep the same structure (ids, kinds,
option values), so an answer means the same whatever language it was given in."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from jinja2 import meta

from cetr_bot.services import question_bank
from cetr_bot.text import MESSAGES, Texts, language_for, languages

OTHER = [code for code in languages() if code != "en"]
LOCALES = MESSAGES / "locales"
ENV = Texts(ZoneInfo("UTC")).env  # knows the project's filters
# Human text in TOML files: translated, so allowed to differ; everything else is structure.
TEXT_TABLES = frozenset({"areas", "adult_areas"})
TEXT_KEYS = frozenset({"text", "short", "label", "title", "intro", "heading", "name", "hint"})


def english_files(pattern: str) -> list[Path]:
    return sorted(
        p.relative_to(MESSAGES) for p in MESSAGES.rglob(pattern) if LOCALES not in p.parents
    )


def placeholders(source: str) -> set[str]:
    """The variables a template or label uses (filters and tags are Jinja's business)."""
    return set(meta.find_undeclared_variables(ENV.parse(source)))


def flat(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def test_polish_is_shipped():
    assert "pl" in languages()


@pytest.mark.parametrize("code", OTHER)
def test_every_template_exists_with_the_same_placeholders(code: str):
    missing, different = [], []
    for path in english_files("*.html"):
        local = LOCALES / code / path
        if not local.exists():
            missing.append(str(path))
            continue
        english = placeholders((MESSAGES / path).read_text())
        if placeholders(local.read_text()) != english:
            different.append(str(path))
    assert not missing, f"{code}: {len(missing)} templates missing: {missing[:20]}"
    assert not different, f"{code}: placeholders differ in {different}"


@pytest.mark.parametrize("code", OTHER)
def test_no_template_exists_only_in_the_translation(code: str):
    english = set(english_files("*.html")) | set(english_files("*.toml"))
    extra = [
        str(p.relative_to(LOCALES / code))
        for p in (LOCALES / code).rglob("*")
        if p.is_file() and p.relative_to(LOCALES / code) not in english
    ]
    assert not extra, f"{code}: files with no English original: {extra}"


@pytest.mark.parametrize("code", OTHER)
def test_every_label_exists_with_the_same_placeholders(code: str):
    with open(MESSAGES / "labels.toml", "rb") as fh:
        english = flat(tomllib.load(fh))
    with open(LOCALES / code / "labels.toml", "rb") as fh:
        local = flat(tomllib.load(fh))
    missing = sorted(set(english) - set(local))
    assert not missing, f"{code}: labels missing: {missing}"
    assert not sorted(set(local) - set(english)), "labels with no English original"
    different = [
        key
        for key, value in english.items()
        if isinstance(value, str) and placeholders(value) != placeholders(str(local[key]))
    ]
    assert not different, f"{code}: label placeholders differ: {different}"


def structure(value: Any, key: str = "") -> Any:
    """A TOML document with its human text blanked (but its placeholders kept)."""
    if isinstance(value, dict) and key in TEXT_TABLES:  # e.g. areas: id → heading
        return {k: ("text", frozenset(placeholders(str(v)))) for k, v in value.items()}
    if isinstance(value, dict):
        return {k: structure(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [structure(v, key) for v in value]
    if isinstance(value, str) and key in TEXT_KEYS:
        return ("text", frozenset(placeholders(value)))
    return value


@pytest.mark.parametrize("code", OTHER)
@pytest.mark.parametrize(
    "path",
    [
        p
        for p in english_files("*.toml")
        if p.name != "labels.toml" and p.name != "safeguarding.toml"
    ],
    ids=str,
)
def test_question_banks_keep_their_structure(code: str, path: Path):
    local = LOCALES / code / path
    assert local.exists(), f"{code}: {path} missing"
    with open(MESSAGES / path, "rb") as fh:
        english = tomllib.load(fh)
    with open(local, "rb") as fh:
        translated = tomllib.load(fh)
    assert structure(translated) == structure(english)


@pytest.mark.parametrize("code", OTHER)
def test_safeguarding_words_exist_in_the_language(code: str):
    """Harm phrases are the language's own (not a translation of each English one), so
    only the file's shape is compared, and a typical phrase raises a flag."""
    local = question_bank.library(code)
    assert local.harm_words.phrases, f"{code}: no safeguarding phrases"


def test_a_polish_harm_phrase_raises_the_alert_in_any_bank():
    assert question_bank.mentions_harm("chcę się zabić")
    assert question_bank.mentions_harm("I want to kill myself")
    assert not question_bank.mentions_harm("lubię grać w piłkę")


@pytest.mark.parametrize("code", OTHER)
def test_banks_load_and_match_english_question_for_question(code: str):
    english, local = question_bank.library(), question_bank.library(code)
    assert set(local.banks) == set(english.banks)
    for key, bank in english.banks.items():
        other = local.banks[key]
        assert [q.id for q in other.questions] == [q.id for q in bank.questions], key
        for q in bank.questions:
            shown = question_bank.in_language(q, code)
            assert [o.value for o in shown.options] == [o.value for o in q.options]
            assert shown.text != q.text or not any(c.isalpha() for c in q.words), (key, q.id)


def test_a_polish_reader_gets_polish_dates_and_words():
    polish = Texts(ZoneInfo("Europe/London"), language="pl")
    moment = datetime(2026, 12, 14, 10, 0, tzinfo=UTC)
    assert polish.when(moment) == "poniedziałek, 14 grudnia 2026 o 10:00"
    assert polish.day(date(2026, 12, 14)).startswith("pon., 14 gru 2026")
    assert "Polski" in polish.label("language.name") or "polski" in polish.label("language.name")
    english = polish.variant(language="en")
    assert english.when(moment) == "Monday 14 December 2026 at 10:00"
    assert english.variant(language="pl") is polish  # variants are shared, not rebuilt


def test_telegram_language_codes_map_to_shipped_languages():
    assert language_for("pl") == "pl"
    assert language_for("pl-PL") == "pl"
    assert language_for("en-GB") == "en"
    assert language_for("de") == "en"
    assert language_for(None) == "en"


def test_an_easy_read_reader_gets_the_easy_version_when_there_is_one(tmp_path: Path):
    (tmp_path / "labels.toml").write_bytes((MESSAGES / "labels.toml").read_bytes())
    (tmp_path / "hello.html").write_text("Good afternoon. {{ name }}")
    (tmp_path / "hello.easy.html").write_text("Hello {{ name }} 👋")
    (tmp_path / "only.html").write_text("Only one {{ easy }}")
    texts = Texts(ZoneInfo("UTC"), tmp_path)
    easy = texts.variant(easy=True)
    assert texts.render("hello", name="Sam") == "Good afternoon. Sam"
    assert easy.render("hello", name="Sam") == "Hello Sam 👋"
    assert easy.render("only") == "Only one True"  # no easy version: the same, told it is easy
    assert texts.render("only") == "Only one False"


def test_every_register_change_kind_has_a_label():
    """The register's history shows each change by its label, never the raw word."""
    import re

    source = (MESSAGES.parent / "cetr_bot" / "services" / "dsr.py").read_text()
    kinds = set(re.findall(r'_change\(\s*session, entry, actor, "([a-z_]+)"', source))
    kinds |= set(re.findall(r'"([a-z_]+)" if old else "([a-z_]+)"', source)[0])
    labels = Texts(ZoneInfo("UTC")).labels["dsr_changes"]
    assert kinds and kinds <= set(labels), kinds - set(labels)
