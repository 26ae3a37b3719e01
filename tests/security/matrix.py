"""The role × operation matrix: who may do what, as data.

Actors are the roles of the domain (each joined to every review of the world), plus a
stranger, a coordinator of another team, an administrator and the review's own
coordinator. Each operation names the actors allowed to do it and what their answer
shows (any one of `shows`); everyone else must be refused: the answer shows none of
it, carries nothing sensitive, and the database does not change.
"""

from __future__ import annotations

from dataclasses import dataclass

from cetr_bot.domain import PANEL_ROLES, ReviewType, Role
from cetr_bot.services.question_bank import has_questions

OWN_COORDINATOR = "coordinator"
OTHER_COORDINATOR = "other-coordinator"
ADMIN = "admin"
STRANGER = "stranger"
PANEL_DEPUTY = "panel-deputy"

PARTICIPANTS = frozenset(r.value for r in Role)
OUTSIDERS = frozenset({OWN_COORDINATOR, OTHER_COORDINATOR, ADMIN, STRANGER})
EVERYONE = PARTICIPANTS | OUTSIDERS | {PANEL_DEPUTY}
ADMINS = frozenset({ADMIN})
WITH_QUESTIONS = frozenset(r.value for r in Role if has_questions(r, ReviewType.INPATIENT))
PANEL = frozenset(r.value for r in PANEL_ROLES)
COORD = frozenset({OWN_COORDINATOR})

# What must never reach someone who is refused: the young person's reference, the
# action's text, the young person's name.
SENSITIVE = ("YP-SEC", "Find a school place", "N0")


@dataclass(frozen=True)
class Op:
    """A command (`text`, with {S} {P} {H} {A} for the world's ids) or a button press
    (`button`: callback data, pressed on a message in the actor's own chat)."""

    name: str
    allowed: frozenset[str]
    shows: tuple[str, ...]
    text: str = ""
    button: str = ""

    def render(self, ids: dict[str, int]) -> str:
        return (self.text or self.button).format(**ids)


def cmd(text: str, allowed: frozenset[str], *shows: str) -> Op:
    return Op(text, allowed, shows, text=text)


def btn(name: str, data: str, allowed: frozenset[str], *shows: str) -> Op:
    return Op(name, allowed, shows, button=data)


COMMANDS: tuple[Op, ...] = (
    cmd("/start", EVERYONE, "Hello"),
    cmd("/help", EVERYONE, "What I do"),
    cmd("/attend", PARTICIPANTS | {PANEL_DEPUTY}, "📅"),
    cmd("/prepare", WITH_QUESTIONS, "Which one do you want to prepare for?"),
    cmd("/consent", frozenset({Role.YOUNG_PERSON.value}), "Sharing your answers"),
    cmd(
        "/concern",
        PARTICIPANTS | {PANEL_DEPUTY},
        "Which review is your concern about?",
        "Is something not right?",
    ),
    cmd("/myactions", frozenset({Role.SOCIAL_WORKER.value}), "Find a school place"),
    cmd("/actions", frozenset({Role.YOUNG_PERSON.value, Role.FAMILY.value}), "Find a school"),
    cmd(
        "/actions {H}",
        frozenset({Role.YOUNG_PERSON.value, Role.FAMILY.value, OWN_COORDINATOR}),
        "Find a school place",
    ),
    cmd("/action {A}", frozenset({Role.SOCIAL_WORKER.value, OWN_COORDINATOR}), "Action A"),
    # A coordinator's digest also carries who joined their reviews (in no review: still).
    cmd(
        "/digest 08:30", PARTICIPANTS | {PANEL_DEPUTY, OWN_COORDINATOR, OTHER_COORDINATOR}, "08:30"
    ),
    cmd("/feedback", frozenset({Role.YOUNG_PERSON.value}), "1 of 4"),
    cmd(
        "/feedback {H}",
        frozenset({Role.YOUNG_PERSON.value, OWN_COORDINATOR}),
        "1 of 4",
        "No feedback from the young person for review #",
    ),
    # Any coordinator may start a review (in their own team).
    cmd("/newreview", COORD | {OTHER_COORDINATOR}, "Let's set up a new review"),
    cmd("/reviews", COORD, "YP-SEC-S"),
    cmd("/review {S}", COORD, "YP-SEC-S"),
    cmd("/invite {S} family", COORD, "start="),
    cmd("/reschedule {S}", COORD, "What is the new date"),
    cmd("/cancelreview {S}", COORD, "Cancel review #"),
    cmd("/addaction {H}", COORD, "New action for review"),
    cmd("/bestinterests {S} Cannot decide now; discussed with family", COORD, "decision recorded"),
    cmd("/approve P{DEP}", COORD, "Approved: P"),
    cmd("/team list", ADMINS, "north"),
    cmd(
        "/team contact Team line 0113 496 0000",
        frozenset({OWN_COORDINATOR, OTHER_COORDINATOR}),
        "Team line 0113 496 0000",
    ),
    cmd("/team add east", ADMINS, "Team east is set up"),
    cmd("/coordinator add 7777 north", ADMINS, "7777"),
    cmd("/admin add 7778", ADMINS, "7778"),
    # Without the young person's consent the panel must not read the pack.
    cmd("/pack {S}", COORD, "Panel pack for review"),
    cmd("/writefeedback {H}", COORD | {Role.PANEL_CHAIR.value}, "Feedback for the young person"),
    cmd("/questions {H}", COORD, "There are no questions from the young person"),
    cmd("/needs {S}", COORD, "whose communication needs"),
    # Last: they change the world for good (the coordinator's turn comes last too).
    cmd("/reportsent {H}", COORD, "marked as sent"),
    cmd("/held {P}", COORD, "marked as held"),
)

YP = Role.YOUNG_PERSON.value
SW = Role.SOCIAL_WORKER.value

# Forged presses: callback data an attacker can type, built from the world's ids.
# Each is allowed to nobody but its owner, and the owner's turn is not tried here
# (their own buttons are exercised by the capability tests).
BUTTONS: tuple[Op, ...] = (
    btn("cancel review: yes", "cx:{S}:yes", frozenset()),
    btn("invite a role", "inv:{S}:family", frozenset()),
    btn("pick a review to show", "rv:{S}", frozenset()),
    btn("pick a review to move", "rs:{S}", frozenset()),
    btn("new review: type", "nr:type:community", frozenset()),
    btn("new review: create", "nr:confirm:yes", frozenset()),
    btn("the young person's RSVP", "at:{YP_S}:in_person", frozenset()),
    btn("the young person's preparation", "pr:go:{YP_S}", frozenset()),
    btn("the young person's answer", "pr:a:{YP_S}:about_me:0", frozenset()),
    btn("send the young person's answers", "pr:send:{YP_S}", frozenset()),
    btn("the young person's consent", "pr:cs:{YP_S}:answers:yes:0", frozenset()),
    btn("a concern in the young person's name", "pr:cr:{YP_S}", frozenset()),
    btn("the owner's 'done'", "ao:{A}:done:0", frozenset()),
    btn("the coordinator's action menu", "am:{A}:cancel:0", frozenset()),
    btn("the young person's feedback", "fb:{YP_H}:0:0", frozenset()),
    btn("send the feedback", "yf:{H}", frozenset()),
    btn("ask a question back", "yq:{H}", frozenset()),
    btn("approve a panel deputy", "ap:{DEP}", frozenset()),
    btn("record the young person's needs", "nd:{YP_S}:bsl", frozenset()),
    btn("reply to the young person's question", "yr:1", frozenset()),
)
# Who owns each forged button (their press is legitimate, so it is not tried).
BUTTON_OWNERS: dict[str, frozenset[str]] = {
    "cx": COORD,
    "inv": COORD,
    "rv": COORD,
    "rs": COORD,
    "nr": COORD,
    "am": COORD,
    "at": frozenset({YP}),
    "pr": frozenset({YP}),
    "ao": frozenset({SW}),
    "fb": frozenset({YP}),
    "yf": COORD | {Role.PANEL_CHAIR.value},
    "yq": frozenset({YP}),
    "ap": COORD,
    "nd": COORD,
    "yr": COORD,
}
