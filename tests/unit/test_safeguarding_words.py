"""The safeguarding vocabulary (messages/questions/safeguarding.toml) is valid data, and a
corpus of real-sounding answers alerts (or does not) as the file's rule says: a phrase
alerts when someone does something to the young person or a restrictive practice is
named; words about things or accidents do not."""

from __future__ import annotations

import tomllib

import pytest

from cetr_bot.services.harm_words import VocabularyError, parse_vocabulary, words
from cetr_bot.services.question_bank import QUESTIONS, library
from cetr_bot.services.safeguarding import RESTRAINT

LIB = library()
RAW = tomllib.loads((QUESTIONS / "safeguarding.toml").read_text(encoding="utf-8"))

R, H = "restrictive", "harm"  # restrictive: a rights concern as well as the alert

MUST_ALERT = [
    # restraint
    ("staff restrained me", R),
    ("Staff restrained me yesterday after tea", R),
    ("STAFF RESTRAINED ME!!!", R),
    ("they restrain me when I get upset", R),
    ("staff keep restraining me", R),
    ("I got restrained twice this week", R),
    ("they did a restraint on me in the corridor", R),
    ("I hate the restraints", R),
    ("they held me down", R),
    ("I was held down by three staff", R),
    ("They were holding me down on the floor", R),
    ("four nurses held him down", R),
    ("they hold her right down", R),
    ("they hold me", R),
    ("staff hold me when I shout", R),
    ("they were holding me on the floor", R),
    ("they held me in the lounge", R),
    ("they pinned me down", R),
    ("they pin me to the floor", R),
    ("they strapped my arms down", R),
    ("they tied me to the chair", R),
    # seclusion, being locked in
    ("they put me in seclusion", R),
    ("I was put in seclusion again", R),
    ("I was secluded for two days", R),
    ("they took me to the seclusion room", R),
    ("locked me in my room", R),
    ("they lock me in", R),
    ("staff lock me out of the lounge", R),
    ("I get locked in my room at night", R),
    ("they locked him in the quiet room", R),
    ("I feel locked up here", R),
    # other harm
    ("he hurt me", H),
    ("she hurts me", H),
    ("a boy keeps hurting me", H),
    ("staff hit me", H),
    ("my brother hits me", H),
    ("someone is hitting me", H),
    ("she kicked me", H),
    ("he punched me in the face", H),
    ("they slapped me", H),
    ("he grabbed me by the arm", H),
    ("someone touched me", H),
    ("staff hit him at the respite unit", H),
    ("a nurse slapped her when she cried", H),
    ("I'm scared of staff", H),
    ("I am frightened of staff on nights", H),
    ("I'm scared of the night staff", H),
    ("I am afraid of some of the nurses", H),
    ("I don't feel safe here", H),
    ("I feel unsafe", H),
    ("they bully me", H),
    ("I've been self-harming", H),
    ("I cut myself last week", H),
    ("Nobody listens and I want to die", H),
    ("sometimes I think about suicide", H),
]

MUST_NOT_ALERT = [
    "they helped me hold my cup",
    "I like it when mum holds my hand",
    "can you hold my phone",
    "I held the baby rabbit at the farm",
    "I hold my breath under water at swimming",
    "hold on, let me think",
    "my anxiety holds me back at school",
    "it held me back a bit",
    "I got held up in traffic",
    "I hit the ball really far",
    "I like football and hitting the ball",
    "I play hockey and I hit the puck",
    "I locked my bike at school",
    "I keep my phone locked with a code",
    "I lock the bathroom door for privacy",
    "the nurse let me lock my locker",
    "I hurt my knee playing football",
    "my cat hurt her paw",
    "I beat my brother at chess",
    "I touched a snake at the zoo",
    "I feel safe here",
    "staff help me when I am upset",
    "My friend is called Hitesh",
    "I like the quiet room",
    "my mum hurt her back at work",
]


def test_the_corpus_is_big_enough():
    assert len(MUST_ALERT) >= 40 and len(MUST_NOT_ALERT) >= 20


@pytest.mark.parametrize(("text", "kind"), MUST_ALERT)
def test_harm_is_found(text, kind):
    found = LIB.scan_for_harm(text)
    assert found.harm, text
    assert found.restrictive is (kind == R), (text, found)
    assert LIB.mentions_harm(text)


@pytest.mark.parametrize("text", MUST_NOT_ALERT)
def test_look_alikes_do_not_alert(text):
    found = LIB.scan_for_harm(text)
    assert not found.harm, (text, found.phrases)


# --- the file is valid data -------------------------------------------------------------------

NEEDED = {
    R: [
        "restraint",
        "restrained",
        "restrain",
        "seclusion",
        "secluded",
        "held down",
        "hold me",
        "holding me",
        "held me",
        "locked in",
        "locked me in",
        "lock me",
    ],
    H: [
        "hurt me",
        "hit me",
        "hitting me",
        "scared of staff",
        "frightened of staff",
        "abuse",
        "self harm",
        "suicide",
        "want to die",
        "not safe",
    ],
}


@pytest.mark.parametrize(("kind", "phrase"), [(k, p) for k, ps in NEEDED.items() for p in ps])
def test_every_needed_term_is_listed_in_its_forms(kind, phrase):
    found = LIB.scan_for_harm(phrase)
    assert found.harm and found.restrictive is (kind == R), phrase


def test_the_file_is_well_formed():
    assert set(RAW) <= {"gap", "restrictive", "harm", "harmless", "forms"}
    for key in ("restrictive", "harm", "harmless"):
        for phrase in RAW[key]:
            pieces = phrase.split()
            assert all(p == "..." or words(p) == [p] for p in pieces), phrase
    every = RAW["restrictive"] + RAW["harm"]
    assert len(every) == len(set(every)), "a phrase is listed twice"
    forms = [f for listed in RAW["forms"].values() for f in listed]
    assert len(forms) == len(set(forms)), "a form is listed under two words"


def test_restrictive_practice_is_a_known_concern_category():
    concern = LIB.concern(RESTRAINT)
    assert concern is not None and "Held down" in concern.label


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"gap": 0}, "gap"),
        ({"harm": ["... hit me"]}, "'...' must stand between"),
        ({"harm": ["hit ... ... me"]}, "'...' must stand between"),
        ({"harm": ["Hit me"]}, "not one lower-case word"),
        ({"harm": ["hit me", "hit me"]}, "listed twice"),
        ({"harm": "hit me"}, "must be a list"),
        ({"forms": {"hit": ["hits"], "strike": ["hits"]}}, "listed under"),
        ({"forms": {"hit": []}}, "non-empty list"),
        ({"forms": {"hit": ["hit me"]}}, "one lower-case word"),
        ({"harm": [], "restrictive": []}, "no phrases"),
    ],
)
def test_a_broken_file_is_refused_with_the_reason(change, message):
    data = {**RAW, **change}
    with pytest.raises(VocabularyError, match=message):
        parse_vocabulary(data)
