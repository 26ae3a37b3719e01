"""How easy an English text is to read: Flesch reading ease and the long sentences and
long words in it. Pure and offline (no dictionary to download): syllables are counted
by the usual vowel-group rules, checked against textstat's dictionary-based counts in
tests/unit/test_readability.py.

Markup is read as a reader sees it: HTML tags go, entities are decoded, emoji and other
symbols are not words, and nor are bot commands (/help). Every line is a sentence (a
heading or a list item is read on its own), as is every run of words ending in . ! ? : ;
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

# Easy-read: at most this many words in a sentence.
MAX_WORDS = 15
# A long word: this many syllables or more.
LONG_WORD_SYLLABLES = 3
# Flesch's formula needs some words to mean anything ("OK" alone scores 37): a text
# shorter than this is easy when it has at most one long word and none longer.
MIN_WORDS_FOR_SCORE = 10

_TAG = re.compile(r"<[^>]+>")
# A bot command (/prepare) is tapped, not read: it is not a word.
_COMMAND = re.compile(r"(?<![\w/])/[a-z][a-z0-9_]*")
_SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+|\n+")
# A word: letters (any script, with inner apostrophes), or a number (12, 14:30, 3/4).
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+(?:[:./,]\d+)*")
_VOWELS = re.compile(r"[aeiouy]+")
# Plural and verb endings whose -es is said (places, changes, wishes, boxes).
_SOUNDED_ES = ("ces", "ges", "ses", "zes", "xes", "ches", "shes")
# Vowel pairs said as two syllables, which the vowel-group count sees as one
# (radio, usual, video, medium; not the -cial, -tion kind).
_TWO_SYLLABLE_PAIRS = re.compile(r"(?<![ct])ia|(?<![cts])io|(?<![gq])ua|(?<!q)uo|eo|ii|iu")
_EXCEPTIONS = {
    "area": 3,
    "being": 2,
    "business": 2,
    "create": 2,
    "different": 3,
    "every": 2,
    "everyone": 3,
    "everything": 3,
    "family": 3,
    "idea": 3,
    "ideas": 3,
    "interest": 3,
    "people": 2,
    "poem": 2,
    "quiet": 2,
    "real": 1,
    "really": 2,
    "review": 2,
    "reviews": 2,
    "science": 2,
    "someone": 2,
    "something": 2,
    "sometimes": 2,
    "there": 1,
    "where": 1,
    "you're": 1,
    "we're": 1,
    "they're": 1,
    "were": 1,
    "more": 1,
    "here": 1,
    "whole": 1,
    "one": 1,
    "once": 1,
    "done": 1,
    "gone": 1,
    "none": 1,
    "give": 1,
    "live": 1,
    "have": 1,
    "love": 1,
    "move": 1,
    "some": 1,
    "come": 1,
    "care": 1,
    "sure": 1,
    "are": 1,
    "the": 1,
    "ok": 2,
    "okay": 2,
    "wednesday": 2,
    "tv": 2,
}


@dataclass(frozen=True)
class Assessment:
    score: float  # Flesch reading ease: 100 very easy, 60 plain English, 30 hard
    long_sentences: tuple[str, ...]  # more than MAX_WORDS words
    long_words: tuple[str, ...]  # LONG_WORD_SYLLABLES syllables or more, first seen first
    words: int
    sentences: int
    longest_word: int = 0  # syllables

    def easy(self, min_score: float) -> bool:
        """Easy to read: no sentence over MAX_WORDS, and reading ease at least
        `min_score` (a short text: at most one long word, none over three syllables)."""
        if self.long_sentences:
            return False
        if self.words < MIN_WORDS_FOR_SCORE:
            return len(self.long_words) <= 1 and self.longest_word <= LONG_WORD_SYLLABLES
        return self.score >= min_score

    @property
    def words_per_sentence(self) -> float:
        return self.words / self.sentences if self.sentences else 0.0


def plain(text: str) -> str:
    """The words a reader sees: no tags, entities decoded."""
    return _COMMAND.sub(" ", html.unescape(_TAG.sub(" ", text)))


def sentences(text: str) -> list[str]:
    """The sentences of (already plain) text that hold at least one word."""
    parts = (p.strip() for p in _SENTENCE_END.split(text))
    return [p for p in parts if _WORD.search(p)]


def words(sentence: str) -> list[str]:
    return _WORD.findall(sentence.replace("-", " ").replace("‑", " "))


def syllables(word: str) -> int:
    """English syllables in one word, by rule (a number counts as one)."""
    w = word.lower().replace("’", "'")
    if not re.fullmatch(r"[a-z]+(?:'[a-z]+)*", w):
        return 1  # a number, or a word in another script
    if w in _EXCEPTIONS:
        return _EXCEPTIONS[w]
    w = w.replace("'", "")
    if len(w) <= 3:
        return 1
    count = len(_VOWELS.findall(w))
    before = w[-3]
    if w.endswith("le"):
        count -= before in "aeiouy"  # whale (table keeps its two)
    elif w.endswith("e") and not w.endswith(("ee", "ie", "ye")):
        count -= 1  # make, home
    elif w.endswith("es") and before not in "aeiouy" and not w.endswith(_SOUNDED_ES):
        count -= 1  # makes, times (but places, changes)
    elif w.endswith("ed") and before not in "aeiouytd":
        count -= 1  # asked, used (but wanted, needed)
    if w.endswith("ing") and len(w) > 4 and w[-4] in "aeiouy":
        count += 1  # going, seeing
    count += len(_TWO_SYLLABLE_PAIRS.findall(w))
    if w.endswith("ism"):
        count += 1
    return max(count, 1)


def assess(text: str) -> Assessment:
    """Flesch reading ease of `text` (HTML or plain), its long sentences and words."""
    found = sentences(plain(text))
    total_words = total_syllables = longest = 0
    long_sentences: list[str] = []
    long_words: dict[str, None] = {}
    for sentence in found:
        these = words(sentence)
        total_words += len(these)
        if len(these) > MAX_WORDS:
            long_sentences.append(" ".join(sentence.split()))
        for word in these:
            n = syllables(word)
            total_syllables += n
            longest = max(longest, n)
            if n >= LONG_WORD_SYLLABLES:
                long_words.setdefault(word.lower(), None)
    if not total_words:
        return Assessment(100.0, (), (), 0, 0, 0)
    score = 206.835 - 1.015 * (total_words / len(found)) - 84.6 * (total_syllables / total_words)
    return Assessment(
        round(score, 1),
        tuple(long_sentences),
        tuple(long_words),
        total_words,
        len(found),
        longest,
    )
