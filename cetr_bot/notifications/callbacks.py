"""One typed codec per button prefix: `pack()` makes the callback data, `parse()` reads it.

Callback data is never trusted: anything malformed (a prefix, a count of parts, an id or
a choice we never make) is `Invalid("stale_button")`, raised here and nowhere else. What
parses is still only a claim; the service re-checks every press. Telegram allows at most
64 bytes of callback data; `pack()` refuses to make more (parse reads what it is given:
the sandbox, unlike Telegram, delivers longer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import astuple, dataclass
from typing import ClassVar, Literal, Self, TypeGuard, TypeVar

from cetr_bot.domain import Role, parse_role
from cetr_bot.parsing import parse_id
from cetr_bot.services.errors import Invalid

SEP = ":"
MAX_BYTES = 64  # Telegram's limit on callback data

RsvpCode = Literal["p", "v", "x", "d", "w", "s"]
OwnerVerb = Literal["d", "u", "h", "n"]
YesNo = Literal["yes", "no"]
YES_NO: tuple[YesNo, ...] = ("yes", "no")
C = TypeVar("C", bound=str)


def stale() -> Invalid:
    return Invalid("stale_button")


def join(*parts: object) -> str:
    """Parts joined with ':', within Telegram's 64 bytes (a longer one is our bug)."""
    data = SEP.join(str(p) for p in parts)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data[:20]}…")
    return data


def split(data: str, prefix: str, *counts: int) -> list[str]:
    """The parts after `prefix`, if their number is one of `counts`."""
    parts = data.split(SEP)
    if parts[0] != prefix or len(parts) - 1 not in counts:
        raise stale()
    return parts[1:]


def number(text: str, prefixes: str = "") -> int:
    found = parse_id(text, prefixes=prefixes)
    if found is None:
        raise stale()
    return found


def one_of(text: str, allowed: tuple[C, ...]) -> C:
    if not _is_in(text, allowed):
        raise stale()
    return text


def _is_in(text: str, allowed: tuple[C, ...]) -> TypeGuard[C]:
    return text in allowed


# --- attendance, feedback, deputies ---------------------------------------------------


@dataclass(frozen=True)
class Rsvp:
    """at:<participant>:<p|v|x|d|w|s>"""

    participant_id: int
    code: RsvpCode
    PREFIX: ClassVar[str] = "at"
    CODES: ClassVar[tuple[RsvpCode, ...]] = ("p", "v", "x", "d", "w", "s")

    def pack(self) -> str:
        return join(self.PREFIX, self.participant_id, self.code)

    @classmethod
    def parse(cls, data: str) -> Self:
        pid, code = split(data, cls.PREFIX, 2)
        return cls(number(pid), one_of(code, cls.CODES))


@dataclass(frozen=True)
class FeedbackAnswer:
    """fb:<participant>:<question>:<value> (the service checks question and value)."""

    participant_id: int
    question_id: str
    value: str
    PREFIX: ClassVar[str] = "fb"

    def pack(self) -> str:
        return join(self.PREFIX, self.participant_id, self.question_id, self.value)

    @classmethod
    def parse(cls, data: str) -> Self:
        pid, question_id, value = split(data, cls.PREFIX, 3)
        return cls(number(pid), question_id, value)


class OneId:
    """A button that carries one id and nothing else: `<prefix>:<id>`. Subclasses are
    frozen dataclasses with that one id field, a PREFIX, and the characters an id may be
    typed with before its digits (ID_PREFIXES)."""

    PREFIX: ClassVar[str]
    ID_PREFIXES: ClassVar[str] = ""

    def pack(self) -> str:
        (value,) = astuple(self)  # type: ignore[call-overload]
        return join(self.PREFIX, value)

    @classmethod
    def parse(cls, data: str) -> Self:
        (value,) = split(data, cls.PREFIX, 1)
        return cls(number(value, cls.ID_PREFIXES))  # type: ignore[call-arg]


@dataclass(frozen=True)
class ApproveDeputy(OneId):
    """ap:<participant> (as typed for /approve: "P12" or "#12" too)."""

    participant_id: int
    PREFIX: ClassVar[str] = "ap"
    ID_PREFIXES: ClassVar[str] = "#Pp"


@dataclass(frozen=True)
class SendFeedback:
    """yf:<review>:send"""

    review_id: int
    PREFIX: ClassVar[str] = "yf"

    def pack(self) -> str:
        return join(self.PREFIX, self.review_id, "send")

    @classmethod
    def parse(cls, data: str) -> Self:
        review_id, verb = split(data, cls.PREFIX, 2)
        one_of(verb, ("send",))
        return cls(number(review_id))


@dataclass(frozen=True)
class AskFeedback:
    """yq:ask (whatever follows the prefix: the press only opens a question)."""

    PREFIX: ClassVar[str] = "yq"

    def pack(self) -> str:
        return join(self.PREFIX, "ask")

    @classmethod
    def parse(cls, data: str) -> Self:
        if not data.startswith(cls.PREFIX + SEP):
            raise stale()
        return cls()


# --- the coordinator's review buttons --------------------------------------------------


@dataclass(frozen=True)
class NewReview:
    """nr:<step>:<value> (the flow checks both against where it is)."""

    step: str
    value: str
    PREFIX: ClassVar[str] = "nr"

    def pack(self) -> str:
        return join(self.PREFIX, self.step, self.value)

    @classmethod
    def parse(cls, data: str) -> Self:
        step, value = split(data, cls.PREFIX, 2)
        return cls(step, value)


@dataclass(frozen=True)
class ShowReview(OneId):
    """rv:<review>"""

    review_id: int
    PREFIX: ClassVar[str] = "rv"
    ID_PREFIXES: ClassVar[str] = "#"


@dataclass(frozen=True)
class Reschedule(OneId):
    """rs:<review>"""

    review_id: int
    PREFIX: ClassVar[str] = "rs"
    ID_PREFIXES: ClassVar[str] = "#"


@dataclass(frozen=True)
class Invite:
    """inv:<review> (pick a role), inv:<review>:<role>"""

    review_id: int
    role: Role | None = None
    PREFIX: ClassVar[str] = "inv"

    def pack(self) -> str:
        if self.role is None:
            return join(self.PREFIX, self.review_id)
        return join(self.PREFIX, self.review_id, self.role)

    @classmethod
    def parse(cls, data: str) -> Self:
        parts = split(data, cls.PREFIX, 1, 2)
        review_id = number(parts[0], "#")
        if len(parts) == 1:
            return cls(review_id)
        role = parse_role(parts[1])
        if role is None:
            raise stale()
        return cls(review_id, role)


@dataclass(frozen=True)
class CancelReview:
    """cx:<review> (ask), cx:<review>:yes|no"""

    review_id: int
    answer: YesNo | None = None
    PREFIX: ClassVar[str] = "cx"

    def pack(self) -> str:
        if self.answer is None:
            return join(self.PREFIX, self.review_id)
        return join(self.PREFIX, self.review_id, self.answer)

    @classmethod
    def parse(cls, data: str) -> Self:
        parts = split(data, cls.PREFIX, 1, 2)
        review_id = number(parts[0], "#")
        if len(parts) == 1:
            return cls(review_id)
        return cls(review_id, one_of(parts[1], YES_NO))


ReviewPick = ShowReview | Reschedule | Invite | CancelReview
# Which button a list of reviews makes, by what it is for.
PICKS: dict[str, Callable[[int], ReviewPick]] = {
    ShowReview.PREFIX: ShowReview,
    Reschedule.PREFIX: Reschedule,
    Invite.PREFIX: Invite,
    CancelReview.PREFIX: CancelReview,
}


# --- actions ------------------------------------------------------------------------


def action_number(text: str) -> int:
    return number(text.strip().lstrip("#"), "Aa")


@dataclass(frozen=True)
class ActionOwner:
    """ao:<action>:<d|u|h|n>:<version>; the version makes older buttons stale."""

    action_id: int
    verb: OwnerVerb
    version: int
    PREFIX: ClassVar[str] = "ao"
    VERBS: ClassVar[tuple[OwnerVerb, ...]] = ("d", "u", "h", "n")

    def pack(self) -> str:
        return join(self.PREFIX, self.action_id, self.verb, self.version)

    @classmethod
    def parse(cls, data: str) -> Self:
        action_id, verb, version = split(data, cls.PREFIX, 3)
        return cls(action_number(action_id), one_of(verb, cls.VERBS), action_number(version))


# --- the Dynamic Support Register ----------------------------------------------------------

DsrVerb = Literal["show", "hist", "rate", "r", "admit", "a", "dis", "d"]
DSR_RAGS = ("red", "amber", "green")
DSR_ARGS: dict[str, tuple[str, ...]] = {
    "r": DSR_RAGS,  # rate to this colour (the reason is asked next)
    "d": DSR_RAGS,  # discharged today, back to this colour
    "a": ("in", "out"),  # admitted today, in area or out of area
}


@dataclass(frozen=True)
class DsrButton:
    """ds:<entry>:<verb>:<arg>:<version>; verbs show, hist, rate, admit, dis (open a
    choice, arg "-") and r, a, d (do it, arg from DSR_ARGS). The version makes the
    buttons of an older view stale."""

    entry_id: int
    verb: DsrVerb
    arg: str = "-"
    version: int = 0
    PREFIX: ClassVar[str] = "ds"
    VERBS: ClassVar[tuple[DsrVerb, ...]] = ("show", "hist", "rate", "r", "admit", "a", "dis", "d")

    def pack(self) -> str:
        return join(self.PREFIX, self.entry_id, self.verb, self.arg, self.version)

    @classmethod
    def parse(cls, data: str) -> Self:
        entry_id, verb, arg, version = split(data, cls.PREFIX, 4)
        checked = one_of(verb, cls.VERBS)
        if arg not in DSR_ARGS.get(checked, ("-",)):
            raise stale()
        return cls(number(entry_id), checked, arg, _version(version))


def _version(text: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise stale()
    return int(text)
