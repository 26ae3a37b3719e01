"""Words a chair or coordinator writes for a young person (their feedback, an action
they will see, recorded or changed, an answer to their question) are checked for
reading ease before they go: below WRITER_MIN_SCORE the writer is shown the long
sentences and words, and chooses to send them anyway or to write them again. Nothing is
stopped: the writer knows the young person."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cetr_bot.readability import MAX_WORDS, assess

# Lower than the bot's own easy-read messages (80): free text about a real person
# needs some words (names, places, "medication") that the score counts as long.
WRITER_MIN_SCORE = 70


class Writing(StrEnum):
    """What is being written, for the buttons that answer a check."""

    FEEDBACK = "f"  # /writefeedback: one of the four parts
    ACTION = "a"  # /addaction: what is to be done
    ACTION_EDIT = "e"  # the action menu's "change what": an open action's new words
    REPLY = "r"  # the answer to a young person's question about their feedback


@dataclass(frozen=True)
class HardToRead:
    score: float
    long_sentences: tuple[str, ...]
    long_words: tuple[str, ...]
    aim: int = WRITER_MIN_SCORE
    max_words: int = MAX_WORDS


def check(text: str) -> HardToRead | None:
    """None if a young person should find `text` easy enough; otherwise what is hard."""
    found = assess(text)
    if found.easy(WRITER_MIN_SCORE):
        return None
    return HardToRead(found.score, found.long_sentences, found.long_words)
