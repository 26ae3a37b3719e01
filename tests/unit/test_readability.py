"""cetr_bot.readability against textstat 0.7.3 (its counts come from pyphen's bundled
dictionary, offline; later textstat versions download a dictionary when first used,
which the bot must never do), and what it makes of markup, emoji and commands."""

from __future__ import annotations

import re
import statistics

import pytest
import textstat

from cetr_bot.readability import MAX_WORDS, assess, plain, syllables, words
from cetr_bot.text import MESSAGES

_JINJA = re.compile(r"\{[{%#].*?[}%#]\}", re.S)


def _message_words() -> list[str]:
    found = []
    for path in sorted(MESSAGES.glob("**/*.html")):
        if "locales" not in path.parts:
            found += [w for w in words(plain(_JINJA.sub(" ", path.read_text()))) if w.isalpha()]
    return found


def test_syllables_agree_with_textstat_on_the_bots_own_words():
    ours = _message_words()
    assert len(ours) > 5000
    diffs = [syllables(w) - textstat.syllable_count(w) for w in ours]
    assert sum(d == 0 for d in diffs) / len(diffs) >= 0.9
    assert abs(statistics.mean(diffs)) <= 0.1


PROSE = [
    "The cat sat on the mat. It was happy there.",
    "Your meeting is tomorrow. You can bring someone with you. You can stop at any time.",
    "Only the coordinator or the panel chair of that review can write the feedback.",
    "The panel papers have already gone out, so answers can no longer be changed. If "
    "something important has changed, please tell the review coordinator.",
    "Once one of them approves it, your answers, your words, your name and your Telegram "
    "ids are removed, and the bot stops writing to you.",
]


@pytest.mark.parametrize("text", PROSE)
def test_reading_ease_is_close_to_textstats(text: str):
    assert assess(text).score == pytest.approx(textstat.flesch_reading_ease(text), abs=10)


def test_markup_emoji_and_commands_are_not_words():
    found = assess("<b>Hello</b> 👋 &amp; welcome!\nSend /prepare to start. 📅")
    assert (found.words, found.sentences) == (5, 2)
    assert found.long_words == ()


def test_long_sentences_and_words_are_named():
    long = " ".join(["word"] * (MAX_WORDS + 1)) + "."
    found = assess(f"Short one. {long} The multidisciplinary team.")
    assert found.long_sentences == (long,)
    assert "multidisciplinary" in found.long_words
    assert not found.easy(70)


def test_short_texts_are_judged_by_their_words():
    assert assess("👍 OK").easy(80)  # Flesch alone would say 37
    assert assess("About me").easy(80)
    assert not assess("Multidisciplinary safeguarding").easy(80)
    assert assess("").easy(80)
