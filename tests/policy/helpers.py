"""Distinctive strings seeded into a review, and a sweep of everything the sandbox recorded."""

from __future__ import annotations

from cetr_bot.sandbox import Sandbox
from tests.conftest import COORDINATOR_ID

WEB = "https://cetr.example.nhs.uk"
NAME = "Zephyrine"  # the young person's first name (Telegram's, so the bot greets them with it)
REF = "ZQ-7731"
HOSPITAL = "Ravenscroft Unit"
ANSWER = "Marmalade octopus"  # typed in every preparation answer
CONCERN = "Quillfeather"  # in a concern that mentions harm
FORM = "Velvet tortoise"  # the young person's own feedback, typed
WRITTEN = "Pineapple lighthouse"  # the feedback written for the young person
QUESTION = "Copper kettle"  # the young person's question back

YP, FAMILY, CHAIR = 2002, 2001, 2004
CHATS = (COORDINATOR_ID, FAMILY, YP, CHAIR)


def recorded(sandbox: Sandbox, chat_id: int) -> list[dict]:
    """Every message the bot sent to the chat (edited in place, deleted ones too)."""
    return sandbox.chat_messages(chat_id)


def leaks(sandbox: Sandbox, secrets: dict[int, tuple[str, ...]]) -> list[str]:
    """Each secret found in a text, caption or document the bot sent to a chat."""
    found = []
    for chat_id, words in secrets.items():
        for message in recorded(sandbox, chat_id):
            shown = (message["text"] or "") + (message["caption"] or "")
            if message["document"]:
                shown += sandbox.document_bytes(chat_id, message["message_id"]).decode(
                    "utf-8", "replace"
                )
            found += [
                f"{w!r} in chat {chat_id}: {shown[:300]!r}"
                for w in words
                if w.lower() in shown.lower()
            ]
    return found
