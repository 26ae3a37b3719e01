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

from cetr_bot.domain import Need, Role, parse_role
from cetr_bot.parsing import parse_id
from cetr_bot.services.errors import Invalid
from cetr_bot.text import languages

SEP = ":"
MAX_BYTES = 64  # Telegram's limit on callback data

RsvpCode = Literal["p", "v", "x", "d", "w", "s"]
OwnerVerb = Literal["d", "u", "h", "n"]
MenuChoice = Literal["change_due", "change_what", "reassign", "cancel", "yes", "keep"]
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
    """The parts after `prefix` (itself one part, or more: "pr:go"), if their number is
    one of `counts`."""
    parts = data.split(SEP)
    head = prefix.count(SEP) + 1
    if SEP.join(parts[:head]) != prefix or len(parts) - head not in counts:
        raise stale()
    return parts[head:]


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
class DecideDataRequest:
    """dq:<request>:<yes|no> (a person's /mydata or /forgetme, the coordinator decides)."""

    request_id: int
    choice: YesNo
    PREFIX: ClassVar[str] = "dq"

    def pack(self) -> str:
        return join(self.PREFIX, self.request_id, self.choice)

    @classmethod
    def parse(cls, data: str) -> Self:
        request_id, choice = split(data, cls.PREFIX, 2)
        return cls(number(request_id), one_of(choice, YES_NO))


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


PlainChoice = Literal["send", "simplify"]
PLAIN_CHOICES: tuple[PlainChoice, ...] = ("send", "simplify")


@dataclass(frozen=True)
class PlainWordsChoice:
    """pw:<f|a|e|r>:<send|simplify>: the writer's answer to the readability check on what
    they wrote for a young person (f: feedback, a: a new action, e: an action's changed
    words, r: an answer to their question). The words themselves wait in the writer's
    flow, which the service re-reads."""

    writing: Literal["f", "a", "e", "r"]
    choice: PlainChoice
    PREFIX: ClassVar[str] = "pw"

    def pack(self) -> str:
        return join(self.PREFIX, self.writing, self.choice)

    @classmethod
    def parse(cls, data: str) -> Self:
        writing, choice = split(data, cls.PREFIX, 2)
        return cls(one_of(writing, ("f", "a", "e", "r")), one_of(choice, PLAIN_CHOICES))


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


@dataclass(frozen=True)
class ReplyQuestion(OneId):
    """yr:<question> (a coordinator answers the young person's question)."""

    question_id: int
    PREFIX: ClassVar[str] = "yr"


# --- communication needs ------------------------------------------------------------------

NeedChoice = Literal[
    "show", "easy_read", "large_print", "audio", "bsl", "interpreter", "reader", "times"
]
NEED_CHOICES: tuple[NeedChoice, ...] = (
    "show",
    "easy_read",
    "large_print",
    "audio",
    "bsl",
    "interpreter",
    "reader",
    "times",
)
assert set(NEED_CHOICES[1:]) == {n.value for n in Need}


@dataclass(frozen=True)
class NeedButton:
    """nd:<participant>:<show|need>; participant 0: the person pressing it (their own
    needs). A coordinator's press names the participant they record for."""

    participant_id: int
    choice: NeedChoice
    PREFIX: ClassVar[str] = "nd"

    def pack(self) -> str:
        return join(self.PREFIX, self.participant_id, self.choice)

    @classmethod
    def parse(cls, data: str) -> Self:
        pid, choice = split(data, cls.PREFIX, 2)
        return cls(0 if pid == "0" else number(pid), one_of(choice, NEED_CHOICES))


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


class IdThenChoice:
    """A button that asks, then answers: `<prefix>:<id>` (ask which) and
    `<prefix>:<id>:<choice>` (the answer). Subclasses are frozen dataclasses with the id
    and an optional choice, a PREFIX, and `choice_of` reading a choice or raising stale."""

    PREFIX: ClassVar[str]
    ID_PREFIXES: ClassVar[str] = "#"

    def pack(self) -> str:
        value, choice = astuple(self)  # type: ignore[call-overload]
        return join(self.PREFIX, value) if choice is None else join(self.PREFIX, value, choice)

    @classmethod
    def parse(cls, data: str) -> Self:
        parts = split(data, cls.PREFIX, 1, 2)
        value = number(parts[0], cls.ID_PREFIXES)
        if len(parts) == 1:
            return cls(value)  # type: ignore[call-arg]
        return cls(value, cls.choice_of(parts[1]))  # type: ignore[call-arg]

    @classmethod
    def choice_of(cls, text: str) -> object:
        raise NotImplementedError


@dataclass(frozen=True)
class Invite(IdThenChoice):
    """inv:<review> (pick a role), inv:<review>:<role>"""

    review_id: int
    role: Role | None = None
    PREFIX: ClassVar[str] = "inv"

    @classmethod
    def choice_of(cls, text: str) -> Role:
        role = parse_role(text)
        if role is None:
            raise stale()
        return role


@dataclass(frozen=True)
class CancelReview(IdThenChoice):
    """cx:<review> (ask), cx:<review>:yes|no"""

    review_id: int
    answer: YesNo | None = None
    PREFIX: ClassVar[str] = "cx"

    @classmethod
    def choice_of(cls, text: str) -> YesNo:
        return one_of(text, YES_NO)


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


@dataclass(frozen=True)
class ActionMenu:
    """am:<action>:<change_due|change_what|reassign|cancel|yes|keep>

    The coordinator's menu on one action. Read in two steps: `action_of()` reads only the
    action, `parse()` the whole press. The handler looks the action up (which checks it
    is in the coordinator's team) between the two, so a press on an action that is not
    theirs says "not found" whatever follows it."""

    action_id: int
    choice: MenuChoice
    PREFIX: ClassVar[str] = "am"
    CHOICES: ClassVar[tuple[MenuChoice, ...]] = (
        "change_due",
        "change_what",
        "reassign",
        "cancel",
        "yes",
        "keep",
    )

    def pack(self) -> str:
        return join(self.PREFIX, self.action_id, self.choice)

    @classmethod
    def action_of(cls, data: str) -> int:
        """The action of any "am:" press (its menu or a new owner), nothing more."""
        parts = data.split(SEP)
        if parts[0] != cls.PREFIX or len(parts) < 3:
            raise stale()
        return action_number(parts[1])

    @classmethod
    def parse(cls, data: str) -> Self:
        action_id, choice = split(data, cls.PREFIX, 2)
        return cls(action_number(action_id), one_of(choice, cls.CHOICES))


@dataclass(frozen=True)
class ReassignAction:
    """am:<action>:to:<participant> (read after ActionMenu.action_of, as the menu is)."""

    action_id: int
    owner_participant_id: int
    PREFIX: ClassVar[str] = ActionMenu.PREFIX

    def pack(self) -> str:
        return join(self.PREFIX, self.action_id, "to", self.owner_participant_id)

    @classmethod
    def parse(cls, data: str) -> Self:
        action_id, verb, owner = split(data, cls.PREFIX, 3)
        one_of(verb, ("to",))
        return cls(action_number(action_id), action_number(owner))


def parse_action_menu(data: str) -> ActionMenu | ReassignAction:
    """Any "am:" press: the menu's choices, or a new owner for the action."""
    if len(data.split(SEP)) == 4:
        return ReassignAction.parse(data)
    return ActionMenu.parse(data)


# --- a new action's owner ("ah:"): the flow of /addaction holds the rest ------------------


@dataclass(frozen=True)
class OwnerIsParticipant(OneId):
    """ah:p:<participant> (someone already in the review; read as an action's number is)"""

    participant_id: int
    PREFIX: ClassVar[str] = "ah:p"

    @classmethod
    def parse(cls, data: str) -> Self:
        (value,) = split(data, cls.PREFIX, 1)
        return cls(action_number(value))


@dataclass(frozen=True)
class AskNewOwner:
    """ah:new (someone not in the review yet: ask their role)"""

    PREFIX: ClassVar[str] = "ah:new"

    def pack(self) -> str:
        return self.PREFIX

    @classmethod
    def parse(cls, data: str) -> Self:
        split(data, cls.PREFIX, 0)
        return cls()


@dataclass(frozen=True)
class NewOwnerRole:
    """ah:r:<role> (the flow checks the role is one a new owner may have)."""

    role: str
    PREFIX: ClassVar[str] = "ah:r"

    def pack(self) -> str:
        return join(self.PREFIX, self.role)

    @classmethod
    def parse(cls, data: str) -> Self:
        (role,) = split(data, cls.PREFIX, 1)
        return cls(role)


OwnerPick = OwnerIsParticipant | AskNewOwner | NewOwnerRole
OWNER_PICKS: dict[str, type[OwnerPick]] = {
    c.PREFIX: c for c in (OwnerIsParticipant, AskNewOwner, NewOwnerRole)
}


def parse_owner_pick(data: str) -> OwnerPick:
    return _by_kind(data, OWNER_PICKS).parse(data)


# --- preparation, consent and concerns ("pr:<kind>:…") ------------------------------------

PREP_PREFIX = "pr"


@dataclass(frozen=True)
class StartPreparation(OneId):
    """pr:go:<participant>"""

    participant_id: int
    PREFIX: ClassVar[str] = "pr:go"


@dataclass(frozen=True)
class PrepareLater(OneId):
    """pr:later:<participant>"""

    participant_id: int
    PREFIX: ClassVar[str] = "pr:later"


@dataclass(frozen=True)
class StopPreparation(OneId):
    """pr:stop:<participant>"""

    participant_id: int
    PREFIX: ClassVar[str] = "pr:stop"


@dataclass(frozen=True)
class SendAnswers(OneId):
    """pr:send:<participant>"""

    participant_id: int
    PREFIX: ClassVar[str] = "pr:send"


@dataclass(frozen=True)
class PrepAnswer:
    """pr:a:<participant>:<question>:<option index|n|s> (the walk checks question and
    choice against the current question)."""

    participant_id: int
    question_id: str
    choice: str
    PREFIX: ClassVar[str] = "pr:a"

    def pack(self) -> str:
        return join(self.PREFIX, self.participant_id, self.question_id, self.choice)

    @classmethod
    def parse(cls, data: str) -> Self:
        pid, question_id, choice = split(data, cls.PREFIX, 3)
        return cls(number(pid), question_id, choice)


@dataclass(frozen=True)
class ChangeAnswer:
    """pr:ch:<participant>:<question>"""

    participant_id: int
    question_id: str
    PREFIX: ClassVar[str] = "pr:ch"

    def pack(self) -> str:
        return join(self.PREFIX, self.participant_id, self.question_id)

    @classmethod
    def parse(cls, data: str) -> Self:
        pid, question_id = split(data, cls.PREFIX, 2)
        return cls(number(pid), question_id)


@dataclass(frozen=True)
class ConsentAnswer:
    """pr:cs:<participant>:<subject>:<value>:<version> (consent checks subject and value;
    the version makes older buttons stale)."""

    participant_id: int
    subject: str
    value: str
    version: int
    PREFIX: ClassVar[str] = "pr:cs"

    def pack(self) -> str:
        return join(self.PREFIX, self.participant_id, self.subject, self.value, self.version)

    @classmethod
    def parse(cls, data: str) -> Self:
        pid, subject, value, version = split(data, cls.PREFIX, 4)
        return cls(number(pid), subject, value, number(version))


@dataclass(frozen=True)
class ConcernFor(OneId):
    """pr:cr:<participant> (which review a concern is about)"""

    participant_id: int
    PREFIX: ClassVar[str] = "pr:cr"


@dataclass(frozen=True)
class ConcernCategory:
    """pr:cc:<participant>:<category> (safeguarding checks the category)"""

    participant_id: int
    category: str
    PREFIX: ClassVar[str] = "pr:cc"

    def pack(self) -> str:
        return join(self.PREFIX, self.participant_id, self.category)

    @classmethod
    def parse(cls, data: str) -> Self:
        pid, category = split(data, cls.PREFIX, 2)
        return cls(number(pid), category)


@dataclass(frozen=True)
class ReadFlag(OneId):
    """pr:rf:<flag>"""

    flag_id: int
    PREFIX: ClassVar[str] = "pr:rf"


PrepButton = (
    StartPreparation
    | PrepareLater
    | StopPreparation
    | SendAnswers
    | PrepAnswer
    | ChangeAnswer
    | ConsentAnswer
    | ConcernFor
    | ConcernCategory
    | ReadFlag
)
PREP_BUTTONS: dict[str, type[PrepButton]] = {
    c.PREFIX: c
    for c in (
        StartPreparation,
        PrepareLater,
        StopPreparation,
        SendAnswers,
        PrepAnswer,
        ChangeAnswer,
        ConsentAnswer,
        ConcernFor,
        ConcernCategory,
        ReadFlag,
    )
}


def parse_prep(data: str) -> PrepButton:
    """Any "pr:" press, by its kind (the part after "pr:")."""
    return _by_kind(data, PREP_BUTTONS).parse(data)


T = TypeVar("T")


def _by_kind(data: str, codecs: dict[str, type[T]]) -> type[T]:
    """The codec for "<prefix>:<kind>:…" data, by its first two parts."""
    codec = codecs.get(SEP.join(data.split(SEP, 2)[:2]))
    if codec is None:
        raise stale()
    return codec


# --- language -------------------------------------------------------------------------


@dataclass(frozen=True)
class ChooseLanguage:
    """lg:<code>, one of the shipped languages (messages/locales)."""

    code: str
    PREFIX: ClassVar[str] = "lg"

    def pack(self) -> str:
        return join(self.PREFIX, self.code)

    @classmethod
    def parse(cls, data: str) -> Self:
        (code,) = split(data, cls.PREFIX, 1)
        return cls(one_of(code, languages()))
