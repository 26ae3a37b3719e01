"""The safeguarding vocabulary (messages/questions/safeguarding.toml) and how it is matched.

Text is cut into words (lower case, apostrophes dropped, any other punctuation a
break). A phrase is a row of words; a word named in [forms] matches every form listed
with it ("hold" matches "hold", "holds", "holding", "held"), any other word only
itself. The words follow each other directly, or with up to `gap` other words between
them where the phrase says "..." ("hold ... down" finds "they held me down"). A phrase
listed as harmless ("it hold me back") hides any harm phrase found inside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

HARM, RESTRICTIVE = "harm", "restrictive"
KINDS = (RESTRICTIVE, HARM)
GAP = "..."
MAX_GAP = 5


class VocabularyError(ValueError):
    """A safeguarding.toml that cannot be used; the message says what is wrong."""


def words(text: str) -> list[str]:
    """Lower case, apostrophes dropped, anything else that is not a letter or digit a break."""
    text = text.lower().replace("'", "").replace("’", "")
    return re.sub(r"[^\w]+", " ", text).split()


@dataclass(frozen=True)
class Phrase:
    written: str
    kind: str
    parts: tuple[frozenset[str], ...]
    gaps: tuple[int, ...]  # most words allowed before each part (the first: 0)

    def spans(self, tokens: list[str]) -> list[tuple[int, int]]:
        """Every (first, last) word index where the phrase is found."""
        found = []
        for start, token in enumerate(tokens):
            if token in self.parts[0]:
                end = self._rest(tokens, start, 1)
                if end is not None:
                    found.append((start, end))
        return found

    def _rest(self, tokens: list[str], at: int, part: int) -> int | None:
        if part == len(self.parts):
            return at
        for index in range(at + 1, min(at + 2 + self.gaps[part], len(tokens))):
            if tokens[index] in self.parts[part]:
                end = self._rest(tokens, index, part + 1)
                if end is not None:
                    return end
        return None


@dataclass(frozen=True)
class Found:
    """What a text mentions: harm (a safeguarding alert) and whether it is a restrictive
    practice (restraint, seclusion: a rights concern as well)."""

    phrases: tuple[str, ...] = ()
    restrictive: bool = False

    @property
    def harm(self) -> bool:
        return bool(self.phrases)


@dataclass(frozen=True)
class Vocabulary:
    phrases: tuple[Phrase, ...]
    harmless: tuple[Phrase, ...]

    def scan(self, text: str) -> Found:
        tokens = words(text)
        hidden = [span for p in self.harmless for span in p.spans(tokens)]
        hits = [
            p for p in self.phrases if any(not _inside(span, hidden) for span in p.spans(tokens))
        ]
        return Found(tuple(p.written for p in hits), any(p.kind == RESTRICTIVE for p in hits))


def _inside(span: tuple[int, int], hidden: list[tuple[int, int]]) -> bool:
    return any(first <= span[0] and span[1] <= last for first, last in hidden)


def parse_vocabulary(data: dict[str, Any]) -> Vocabulary:
    gap = data.get("gap", 3)
    if not isinstance(gap, int) or not 0 < gap <= MAX_GAP:
        raise VocabularyError(f"gap must be a whole number from 1 to {MAX_GAP}")
    forms = _forms(data.get("forms", {}))
    phrases = [_phrase(entry, kind, forms, gap) for kind in KINDS for entry in _list(data, kind)]
    written = [p.written for p in phrases]
    duplicate = next((w for w in written if written.count(w) > 1), None)
    if duplicate:
        raise VocabularyError(f"phrase {duplicate!r} is listed twice")
    if not phrases:
        raise VocabularyError("no phrases")
    harmless = tuple(_phrase(e, "harmless", forms, gap) for e in _list(data, "harmless"))
    return Vocabulary(tuple(phrases), harmless)


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise VocabularyError(f"{key} must be a list of phrases")
    return value


def _forms(raw: Any) -> dict[str, frozenset[str]]:
    """word → all its forms, the word itself included."""
    if not isinstance(raw, dict):
        raise VocabularyError("[forms] must be a table of word = [forms]")
    index: dict[str, frozenset[str]] = {}
    owner: dict[str, str] = {}
    for word, listed in raw.items():
        if not isinstance(listed, list) or not listed:
            raise VocabularyError(f"forms of {word!r} must be a non-empty list")
        group = frozenset({str(word), *(str(f) for f in listed)})
        for form in group:
            if words(form) != [form]:
                raise VocabularyError(f"form {form!r} of {word!r} must be one lower-case word")
            if owner.setdefault(form, word) != word:
                raise VocabularyError(f"form {form!r} is listed under {owner[form]!r} and {word!r}")
        index[str(word)] = group
    return index


def _phrase(entry: Any, kind: str, forms: dict[str, frozenset[str]], gap: int) -> Phrase:
    if not isinstance(entry, str) or not entry.strip():
        raise VocabularyError(f"{kind}: each phrase must be a non-empty string")
    parts: list[frozenset[str]] = []
    gaps: list[int] = []
    allowed = 0
    for piece in entry.split():
        if piece == GAP:
            if not parts or allowed:
                raise VocabularyError(f"{kind}: {entry!r}: '...' must stand between two words")
            allowed = gap
            continue
        if words(piece) != [piece]:
            raise VocabularyError(f"{kind}: {entry!r}: {piece!r} is not one lower-case word")
        parts.append(forms.get(piece, frozenset({piece})))
        gaps.append(allowed)
        allowed = 0
    if allowed or not parts:
        raise VocabularyError(f"{kind}: {entry!r}: '...' must stand between two words")
    return Phrase(entry.strip(), kind, tuple(parts), tuple(gaps))
