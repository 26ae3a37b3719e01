"""Removes characters that can hide or disguise text before it is stored or shown.

Control characters (Unicode category Cc, C0 and C1) can move a terminal's cursor or
ring its bell; format characters (category Cf) include the bidirectional overrides
and isolates (U+202A–202E, U+2066–2069), the direction marks (U+200E/F), zero-width
characters and the byte-order mark (U+FEFF), which can make text read differently
from what it is. Newlines and tabs are kept where text may run over several lines.
"""

from __future__ import annotations

import unicodedata

_REMOVED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
_KEPT_IN_MULTILINE = frozenset("\n\t")
# The joiners that emoji sequences (👨‍👩‍👧) and some scripts need are kept; variation
# selectors are not format characters (Mn) and stay too.
_KEPT_FORMAT = frozenset({"\u200c", "\u200d"})


def _keep(char: str, multiline: bool) -> bool:
    if char in _KEPT_FORMAT or (multiline and char in _KEPT_IN_MULTILINE):
        return True
    return unicodedata.category(char) not in _REMOVED_CATEGORIES


def clean_text(text: str, *, multiline: bool = True) -> str:
    """`text` without control, format (except the joiners) or surrogate characters.

    A carriage return becomes a newline in multi-line text; in one-line text (names,
    references) every line break or tab becomes a space.
    """
    if multiline:
        text = "\n".join(text.splitlines())  # \r\n, \r, U+2028... become \n
        if text.replace("\n", " ").replace("\t", " ").isprintable():
            return text  # the usual case: nothing to remove (str.isprintable is in C)
    else:
        text = " ".join(text.replace("\t", " ").splitlines())
        if text.isprintable():
            return text
    return "".join(char for char in text if _keep(char, multiline))


def clean_name(name: str | None, *, limit: int = 64) -> str | None:
    """A Telegram first name (or another one-line label) safe to store and show."""
    if name is None:
        return None
    cleaned = " ".join(clean_text(name, multiline=False).split())[:limit]
    return cleaned or None
