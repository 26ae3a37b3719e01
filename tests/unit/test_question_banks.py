"""The question banks in messages/questions are data: valid, complete, easy-read where
they should be, and changeable without touching Python."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cetr_bot.domain import PANEL_ROLES, ReviewType, Role
from cetr_bot.sandbox.html_check import parse_html
from cetr_bot.services.question_bank import (
    KINDS,
    QUESTIONS,
    BankError,
    LastAction,
    expand_last_actions,
    library,
    load_library,
    render_question,
)
from cetr_bot.services.walk import Step, next_step
from cetr_bot.text import Texts

TEXTS = Texts(ZoneInfo("Europe/London"))
LIB = library()
ALL_BANKS = sorted(LIB.banks.values(), key=lambda b: (b.group, b.review_type))
AREAS_NEEDED = {"about_me", "communication", "kloe1", "kloe2", "kloe3", "kloe4"}
BIG_ID = 9_999_999_999  # callback data must fit even with a ten-digit participant id


def test_every_role_but_the_panel_has_one_bank():
    for role in Role:
        for review_type in ReviewType:
            bank = LIB.bank_for(role, review_type)
            assert (bank is None) == (role in PANEL_ROLES), (role, review_type)
    assert LIB.groups[Role.SCHOOL] == LIB.groups[Role.VIRTUAL_SCHOOL] == "education"
    assert LIB.groups[Role.ADVOCATE] == "professional"


@pytest.mark.parametrize("bank", ALL_BANKS, ids=lambda b: f"{b.group}-{b.review_type}")
def test_each_bank_covers_the_four_kloes_and_more(bank):
    areas = {q.area for q in bank.questions}
    assert areas >= AREAS_NEEDED
    if bank.review_type is ReviewType.INPATIENT:
        assert "last_actions" in areas  # "actions since last time"
    else:
        assert "last_actions" not in areas


@pytest.mark.parametrize("bank", ALL_BANKS, ids=lambda b: f"{b.group}-{b.review_type}")
def test_every_question_renders_as_valid_telegram_html(bank):
    at = datetime(2026, 12, 14, 10, 0, tzinfo=UTC)
    for question in bank.questions:
        html = str(render_question(TEXTS, question, at=at, review_type=bank.review_type))
        parsed = parse_html(html)  # raises on anything Telegram would refuse
        assert 0 < parsed.length < 1000, question.id


@pytest.mark.parametrize("bank", ALL_BANKS, ids=lambda b: f"{b.group}-{b.review_type}")
def test_button_data_fits_telegrams_64_bytes(bank):
    for question in bank.questions:
        for choice in [*map(str, range(len(question.options))), "n", "s"]:
            assert len(f"pr:a:{BIG_ID}:{question.id}:{choice}".encode()) <= 64
        assert len(f"pr:ch:{BIG_ID}:{question.id}".encode()) <= 64
    for concern in LIB.concerns:
        assert len(f"pr:cc:{BIG_ID}:{concern.value}".encode()) <= 64


def test_every_answer_kind_is_used_somewhere():
    used = {q.kind for bank in ALL_BANKS for q in bank.questions}
    assert used == KINDS


def test_choice_questions_always_have_their_choices():
    for bank in ALL_BANKS:
        for q in bank.questions:
            if q.kind in ("buttons", "yes_no", "scale"):
                assert len(q.options) >= 2, q.id
            else:
                assert q.options == (), q.id


@pytest.mark.parametrize("review_type", list(ReviewType))
def test_young_persons_bank_is_easy_read(review_type):
    bank = LIB.bank_for(Role.YOUNG_PERSON, review_type)
    assert bank is not None and bank.easy_read and bank.scan_for_harm
    for question in bank.questions:
        html = str(render_question(TEXTS, question, at=datetime.now(UTC), review_type=review_type))
        lines = [line for line in parse_html(html).text.splitlines() if line.strip()]
        assert len(lines) <= 6, question.id  # one idea per message
        assert max(len(line.split()) for line in lines) <= 8, question.id  # short lines
        for option in question.options:
            assert not option.label[0].isalnum(), option.label  # an emoji first
        if question.kind == "text":
            assert question.voice, question.id  # a voice note is always welcome


def test_safeguarding_answers_are_marked():
    young = LIB.bank_for(Role.YOUNG_PERSON, ReviewType.INPATIENT)
    family = LIB.bank_for(Role.FAMILY, ReviewType.COMMUNITY)
    assert young and family
    safe = young.get("feel_safe")
    risk = family.get("risk_now")
    assert safe and safe.alert_on == {"no"}
    assert risk and risk.alert_on == {"yes"}


@pytest.mark.parametrize(
    ("text", "harm"),
    [
        ("He hit me yesterday", True),
        ("staff HURT ME when I said no", True),
        ("I want to self-harm", True),
        ("I don't feel safe at night", True),
        ("sometimes I think about suicide", True),
        ("I like football and hitting the ball", False),
        ("I feel safe here", False),
        ("My friend is called Hitesh", False),
    ],
)
def test_harm_words_are_found_as_whole_words(text, harm):
    assert LIB.mentions_harm(text) is harm


def test_age_limited_questions():
    bank = LIB.bank_for(Role.FAMILY, ReviewType.INPATIENT)
    assert bank is not None
    ids = lambda age: {q.id for q in bank.for_age(age)}  # noqa: E731
    assert "transition" not in ids(13)
    assert "transition" in ids(14)
    assert "transition" in ids(None)  # unknown age: ask rather than miss it


def test_review_type_files_insert_where_they_say():
    bank = LIB.bank_for(Role.YOUNG_PERSON, ReviewType.INPATIENT)
    assert bank is not None
    ids = [q.id for q in bank.questions]
    assert ids.index("need_hospital") == ids.index("future") + 1
    assert ids[-1] == "anything_else"


def test_last_actions_hook_makes_one_question_per_action():
    bank = LIB.bank_for(Role.CLINICIAN, ReviewType.INPATIENT)
    assert bank is not None
    generic = bank.get("last_actions")
    assert generic is not None and generic.hook == "last_review_actions"
    assert expand_last_actions(generic, []) == [generic]
    expanded = expand_last_actions(generic, [LastAction(7, "Find a home"), LastAction(9, "OT")])
    assert [q.id for q in expanded] == ["last_actions_7", "last_actions_9"]
    assert [q.short for q in expanded] == ["Find a home", "OT"]
    assert all(q.options == generic.options for q in expanded)


# --- changing the banks needs no Python ---------------------------------------------


@pytest.fixture
def bank_copy(tmp_path: Path) -> Path:
    target = tmp_path / "questions"
    shutil.copytree(QUESTIONS, target)
    return target


def test_adding_and_rewording_a_question_is_a_data_change(bank_copy: Path):
    family = bank_copy / "family.toml"
    text = family.read_text().replace(
        "What is not working for them?", "What is not working well for them right now?"
    )
    family.write_text(
        text
        + '\n[[questions]]\nid = "pets"\narea = "about_me"\nkind = "yes_no"\n'
        + 'short = "Pets"\ntext = "Do they have a pet they miss?"\n'
    )
    (bank_copy / "family.community.toml").write_text(
        (bank_copy / "family.community.toml").read_text()
        + '\n[[questions]]\nid = "respite"\nafter = "at_best"\narea = "kloe2"\nkind = "text"\n'
        + 'short = "Short breaks"\ntext = "Have short breaks been offered?"\n'
    )
    bank = load_library(bank_copy).bank_for(Role.FAMILY, ReviewType.COMMUNITY)
    assert bank is not None
    ids = [q.id for q in bank.questions]
    assert ids[1] == "respite"
    assert ids[-1] == "pets"
    reworded = bank.get("not_working")
    assert reworded and reworded.text == "What is not working well for them right now?"


BROKEN = [
    ('kind = "text"', 'kind = "essay"', "kind must be one of"),
    ('area = "kloe1"', 'area = "kloe9"', "area must be one of"),
    ('id = "matters"', 'id = "at_best"', "used twice"),
    ('alert_on = ["yes"]', 'alert_on = ["maybe"]', "alert_on names no option"),
    ('roles = ["family"]', 'roles = ["uncle"]', "unknown role"),
    ('roles = ["family"]', 'roles = ["chair"]', "panel"),
    ('short = "At their best"', 'short = ""', "short must be"),
]


@pytest.mark.parametrize(("old", "new", "message"), BROKEN, ids=[b[2] for b in BROKEN])
def test_a_broken_bank_is_refused_with_a_clear_reason(bank_copy: Path, old, new, message):
    family = bank_copy / "family.toml"
    source = family.read_text()
    assert old in source
    family.write_text(source.replace(old, new, 1))
    with pytest.raises(BankError, match=message) as caught:
        load_library(bank_copy)
    assert "family.toml" in str(caught.value)


def test_after_must_name_an_existing_question(bank_copy: Path):
    path = bank_copy / "family.inpatient.toml"
    path.write_text(path.read_text().replace('after = "transition"', 'after = "nope"'))
    with pytest.raises(BankError, match="no question 'nope'"):
        load_library(bank_copy)


def test_a_review_type_file_must_name_a_real_type(bank_copy: Path):
    (bank_copy / "family.weekly.toml").write_text("")
    with pytest.raises(BankError, match="family.weekly.toml"):
        load_library(bank_copy)


# --- where someone is, from what is stored -------------------------------------------


def _questions():
    bank = LIB.bank_for(Role.SOCIAL_WORKER, ReviewType.COMMUNITY)
    assert bank is not None
    return bank.questions


def test_position_is_the_first_unanswered_question():
    qs = _questions()
    step = next_step(qs, set(), editing=None, undecided_consent=[], submitted=False)
    assert step == Step("question", qs[0])
    answered = {qs[0].id, qs[1].id, qs[3].id}  # a gap is filled first
    step = next_step(qs, answered, editing=None, undecided_consent=[], submitted=False)
    assert step.question == qs[2]
    everything = {q.id for q in qs}
    step = next_step(qs, everything, editing=None, undecided_consent=[], submitted=False)
    assert step.kind == "summary"


def test_consent_comes_first_and_editing_wins_over_order():
    qs = _questions()
    step = next_step(
        qs, set(), editing=None, undecided_consent=["share", "family"], submitted=False
    )
    assert step == Step("consent", subject="share")
    everything = {q.id for q in qs}
    step = next_step(qs, everything, editing=qs[4].id, undecided_consent=[], submitted=True)
    assert step.question == qs[4]
    step = next_step(qs, everything, editing="gone", undecided_consent=[], submitted=False)
    assert step.kind == "summary"  # a question removed from the bank is simply skipped


def test_after_submission_a_new_question_does_not_reopen_the_walk_through():
    qs = _questions()
    answered = {q.id for q in qs[:-1]}
    step = next_step(qs, answered, editing=None, undecided_consent=[], submitted=True)
    assert step.kind == "summary"
