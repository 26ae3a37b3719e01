"""Easy-read wherever a young person looks: every message a young person can receive,
rendered as they get it (messages/X.easy.html when there is one, else X.html), and
every question and button in their question banks and their feedback questions, reads
at Flesch reading ease 80 or more with at most 15 words in a sentence (English; the
Polish versions are not scored).

Each template is rendered twice, once with every value the test did not give standing
for something (a name "Sam", a list of one, a true condition) and once with every such
value missing (false, an empty list), so both sides of an {% if %} are read."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from jinja2 import Undefined
from jinja2.filters import FILTERS as DEFAULT_FILTERS

from cetr_bot.domain import NEEDS_WITH_DETAIL, Need, ReviewType, Role
from cetr_bot.readability import MAX_WORDS, assess, plain
from cetr_bot.services.memberships import Membership
from cetr_bot.services.needs import NeedLine, NeedsView
from cetr_bot.services.preparation_reads import ParticipantAnswers
from cetr_bot.services.subject_access import OWN_TABLES as MY_DATA_TABLES
from cetr_bot.services.subject_access import Export
from cetr_bot.services.web_reads import MyData, MyReview
from cetr_bot.services.yp_questions import Item, Message, Thread
from cetr_bot.text import MESSAGES, Texts

MIN_SCORE = 80
ZONE = ZoneInfo("Europe/London")
WHEN = datetime(2026, 3, 2, 14, 30, tzinfo=ZONE)

# What a young person never receives, with the reason. A directory ends in "/".
NEVER_TO_A_YOUNG_PERSON: dict[str, str] = {
    # Whole directories: people and commands a young person never is or uses.
    "admin/": "the bot's admins: teams and coordinators",
    "coordinator/": "the coordinator's own commands and notices",
    "dsr/": "the Dynamic Support Register, for coordinators",
    "governance/": "audit, retention and legal holds, for coordinators and the operator",
    "keys/": "encryption keys, for the operator on the command line",
    "newreview/": "setting up a review, for coordinators",
    "warnings/": "rule warnings shown to the coordinator setting up a review",
    # web companion pages (web/pages.py) for the coordinators; the pack is never theirs
    # (a young person asking for it gets web/refused), nor is the bar drawn over it.
    "web/dashboard.html": "the coordinator's start page (a young person gets web/home)",
    "web/review.html": "a review's page, for its coordinators",
    "web/_review_nav.html": "the links on a review's page, for its coordinators",
    "web/actions.html": "a review's actions page, for its coordinators",
    "web/audit.html": "a review's audit trail, for its coordinators",
    "web/flags.html": "a review's concerns page, for its coordinators and clinician",
    "web/register.html": "the Dynamic Support Register, for coordinators",
    "web/register_entry.html": "the Dynamic Support Register, for coordinators",
    "web/pack_held.html": "a panel member or deputy asking for the pack",
    "web/_pack_bar.html": "the bar over the pack page (the pack is not theirs)",
    "writer/": "the readability check on what a chair or coordinator writes for them",
    "pack/": "the review pack goes to the coordinator and the panel, never the young person",
    "errors/dsr_*": "the Dynamic Support Register, for coordinators",
    "actions/update_kinds/": "history lines, read inside actions/detail (rendered with each)",
    # actions: the coordinator records and manages them; returned/escalate go to them too.
    "actions/added.html": "the coordinator's /addaction flow",
    "actions/ask_due.html": "the coordinator's /addaction flow",
    "actions/ask_edit_due.html": "the coordinator's action menu",
    "actions/ask_edit_what.html": "the coordinator's action menu",
    "actions/ask_new_owner_role.html": "the coordinator's /addaction flow",
    "actions/ask_owner.html": "the coordinator's /addaction flow",
    "actions/ask_reassign.html": "the coordinator's action menu",
    "actions/ask_what.html": "the coordinator's /addaction flow",
    "actions/confirm_cancel.html": "the coordinator's action menu",
    "actions/coordinator_changed.html": "the coordinator's action menu",
    "actions/escalate.html": "to the coordinators: an action overdue",
    "actions/family_summary.html": "the family's /actions (the young person has their own)",
    "actions/held.html": "the coordinator's /held",
    "actions/list.html": "the coordinator's /actions N",
    "actions/report_marked.html": "the coordinator's /reportsent",
    "actions/returned.html": "to the coordinators: help asked for, or not mine",
    # attendance
    "attendance/deputy.html": "a young person cannot send a deputy (they get a supporter)",
    "attendance/review_section.html": "part of the coordinator's /review",
    # errors raised only on coordinator, admin, operator or panel paths
    "errors/action_what_empty.html": "the coordinator writing an action",
    "errors/admission_before_birth.html": "the coordinator's /newreview and register",
    "errors/admission_in_future.html": "the coordinator's /newreview and register",
    "errors/already_admin.html": "admin commands",
    "errors/already_coordinator.html": "admin commands",
    "errors/already_joined_cannot_revoke.html": "the coordinator revoking an invitation",
    "errors/approve_not_found.html": "the coordinator approving a panel deputy",
    "errors/approve_not_joined.html": "the coordinator approving a panel deputy",
    "errors/approve_panel_deputies_only.html": "the coordinator approving a panel deputy",
    "errors/bad_datetime.html": "the coordinator's /newreview and /reschedule",
    "errors/bad_month.html": "the register's monthly report",
    "errors/bad_ref.html": "the coordinator's /newreview",
    "errors/bad_team_name.html": "admin commands",
    "errors/bad_time.html": "raised nowhere (no key in cetr_bot/)",
    "errors/bad_type.html": "the coordinator's /newreview",
    "errors/bad_user_id.html": "admin commands",
    "errors/best_interests_reason.html": "the coordinator recording a best-interests decision",
    "errors/birth_in_future.html": "the coordinator's /newreview and register",
    "errors/consent_young_person_only.html": "said to someone who is not the young person",
    "errors/date_in_future.html": "the register",
    "errors/date_in_past.html": "the coordinator's /newreview and /reschedule",
    "errors/due_before_review.html": "the coordinator setting an action's date",
    "errors/due_in_past.html": "the coordinator setting an action's date",
    "errors/erase_on_hold.html": "the operator's erasure on the command line",
    "errors/erase_reason.html": "the operator's erasure on the command line",
    "errors/held_in_future.html": "the coordinator's /held",
    "errors/hold_exists.html": "legal holds, for the operator",
    "errors/hold_not_found.html": "legal holds, for the operator",
    "errors/hold_reason.html": "legal holds, for the operator",
    "errors/location_too_long.html": "the coordinator's /newreview",
    "errors/not_a_coordinator.html": "admin commands",
    "errors/not_an_admin.html": "admin commands",
    "errors/operator_only.html": "the operator's command line",
    "errors/owner_not_in_review.html": "the coordinator choosing an action's owner",
    "errors/pack_awaiting_approval.html": "a panel deputy asking for the pack",
    "errors/pack_held_back.html": "a panel member asking for the pack",
    "errors/participant_not_found.html": "the coordinator's invitations and pack",
    "errors/person_not_found.html": "the operator's subject access on the command line",
    "errors/ref_is_a_name.html": "the coordinator's /newreview",
    "errors/ref_taken.html": "the coordinator's /newreview and register",
    "errors/request_decided.html": "the operator deciding a data request",
    "errors/request_not_found.html": "the operator deciding a data request",
    "errors/review_not_held.html": "the coordinator's /reportsent and the writers' /writefeedback",
    "errors/review_not_started.html": "the coordinator's /held",
    "errors/same_owner.html": "the coordinator reassigning an action",
    "errors/same_time.html": "the coordinator's /reschedule",
    "errors/team_exists.html": "admin commands",
    "errors/team_needed.html": "admin commands",
    "errors/team_not_found.html": "admin commands",
    "errors/web_link_cli.html": "the command line",
    "errors/need_detail_missing.html": "the operator's `cetr-bot needs set` on the command line",
    "errors/needs_not_joined.html": "the coordinator recording someone's needs (/needs P12)",
    "errors/question_removed.html": "the coordinator pressing Reply to a young person's question",
    "errors/contact_empty.html": "the coordinator's /team contact",
    "errors/copy_expired.html": "caught by the web page, which shows web/my_data_expired instead",
    # feedback
    "feedback/coordinator.html": "the young person's feedback, shown to the coordinator",
    # follow-up
    "followup/report_due.html": "to the coordinators: the report is due",
    # links to web pages for others
    "links/feedback_from_young_person.html": "to the coordinator",
    "links/flag.html": "to the coordinator and clinician",
    "links/pack.html": "to the coordinator and the panel",
    "links/review.html": "the coordinator's /review",
    "links/yp_question.html": "to the coordinator",
    # my data
    "mydata/coordinator_notice.html": "to the coordinators",
    "mydata/erased.html": "the operator's command line",
    "mydata/export.html": "the data copy itself (a record of what is held, sent as a file)",
    "mydata/exported.html": "the operator's command line",
    # needs: the coordinator's and the operator's side (the young person's screen is read)
    "needs/cli.html": "the operator's `cetr-bot needs show` on the command line",
    "needs/pick_person.html": "the coordinator's /needs N",
    # preparation
    "preparation/alert_consent_withdrawn.html": "to the coordinators",
    "preparation/alert_rights_coordinator.html": "to the coordinators",
    "preparation/alert_safeguarding_clinician.html": "to the clinician",
    "preparation/alert_safeguarding_coordinator.html": "to the coordinators",
    "preparation/best_interests_recorded.html": "the coordinator's best-interests decision",
    "preparation/best_interests_usage.html": "the coordinator's best-interests decision",
    "preparation/consent_family.html": "the family's consent screen",
    "preparation/flag_detail.html": "to the coordinator and clinician",
    "preparation/review_section.html": "part of the coordinator's /review",
    "preparation/safe_help_family.html": "to a family member",
    # reminders
    "reminders/admin_bad_tokens.html": "to the admins",
    "reminders/book_next.html": "to the coordinators: book the next review",
    "reminders/coord_attendance.html": "to the coordinators",
    "reminders/coord_interpreter.html": "to the coordinators: book the interpreter",
    "reminders/coord_unreachable.html": "to the coordinators",
    "reminders/next_overdue.html": "to the coordinators: the next review is overdue",
    "reminders/review_section.html": "part of the coordinator's /review",
    # start
    "start/joined_deputy.html": "a deputy joining",
    "start/joined_family.html": "a family member joining",
    "start/joined_panel.html": "a panel member joining",
    "start/joined_professional.html": "a professional joining",
    "start/joined_supporter.html": "a supporter joining",
    "general/text_please.html": "the coordinator's guided flows",
    # ypfeedback: the writers' side
    "ypfeedback/ask_kloe1.html": "the chair or coordinator writing feedback",
    "ypfeedback/ask_kloe2.html": "the chair or coordinator writing feedback",
    "ypfeedback/ask_kloe3.html": "the chair or coordinator writing feedback",
    "ypfeedback/ask_kloe4.html": "the chair or coordinator writing feedback",
    "ypfeedback/preview.html": "the chair or coordinator writing feedback",
    "ypfeedback/question_for_coordinator.html": "to the coordinator",
    "ypfeedback/sent.html": "the chair or coordinator writing feedback",
    "ypfeedback/usage.html": "usage of the writers' /writefeedback",
}

# Web pages shown before anyone is signed in (a sign-in link, signed out, a refused
# sign-out): web/pages.py renders them in the defaults, not in the young person's
# easy-read, so the page itself must read easily (and its easy version, if any).
BEFORE_SIGN_IN = frozenset(
    {
        "web/sign_in_needed.html",
        "web/sign_in_confirm.html",
        "web/sign_in_refused.html",
        "web/signed_out.html",
        "web/refused.html",
    }
)

# Values the young person's messages are given by the code that sends them.
GIVEN: dict[str, Any] = {
    "easy": True,
    "young": True,
    "role": "young-person",
    "at": WHEN,
    "due_on": WHEN.date(),
    "review_type": "inpatient",
    "days_left": 3,
    "days": 3,
    "limit": 2000,
    # The walk-through's screen is easy-read for them; safety help names their people.
    "screen": {"easy_read": True, "number": 2, "total": 9},
    "roles": ["family", "clinician", "advocate"],
}
# The young person's own /needs screen (needs.show: participant 0, in easy words), with
# every need recorded and with none.
_ALL_NEEDS = [NeedLine(n, "Polish" if n in NEEDS_WITH_DETAIL else None) for n in Need]
_OWN_NEEDS = [NeedsView(1, 0, _ALL_NEEDS, easy=True), NeedsView(1, 0, [], easy=True)]
# The young person's web pages: their review, their answers (each kind of line), their
# questions with an answer and without, their copy of their data (its rows are data,
# left empty: the headings are the page's words).
_MY_REVIEWS = [MyReview(Membership(1, 1, Role.YOUNG_PERSON, WHEN, ReviewType.INPATIENT), "refused")]
_MY_ANSWERS = [
    ParticipantAnswers(1, Role.YOUNG_PERSON, submitted, changed, lines)
    for submitted, changed in ((WHEN, True), (WHEN, False), (None, False))
    for lines in [
        [{"question": {"short": "Sam"}, "kind": k, "shown": "Sam"} for k in ("skip", None, "text")]
    ]
]
_ME = Message(1, True, "Sam", WHEN, None)
_THREAD = Thread(1, [Item(_ME, [_ME]), Item(_ME, [])])
_MY_EXPORT = Export(
    person_id=1,
    generated_at=WHEN,
    tables={table: [{}, {}] for table in MY_DATA_TABLES} | {"prep_flags": []},
    audit=[{"at": WHEN.isoformat(), "kind": "Sam", "review_id": 1, "actor_role": "Sam"}],
)
UPDATE_KINDS = sorted(p.stem for p in (MESSAGES / "actions" / "update_kinds").glob("*.html"))
# Values a template needs in a particular shape (a list: each is read in turn).
EXTRA: dict[str, dict[str, Any] | list[dict[str, Any]]] = {
    # A young person is never a coordinator or an admin (their sections are not theirs).
    "start/help.html": {"coordinator": False, "admin": False},
    "actions/detail.html": {
        "history": [{"at": WHEN, "kind": k, "text": "I did it."} for k in UPDATE_KINDS]
    },
    "needs/screen.html": [{"view": view} for view in _OWN_NEEDS],
    # Web pages, as web/pages.py renders them for a signed-in young person.
    "web/home.html": [{"mine": _MY_REVIEWS}, {"mine": []}],
    "web/answers.html": [{"review_id": 1, "mine": _MY_ANSWERS}, {"review_id": 1, "mine": []}],
    "web/feedback.html": {"coordinator": False, "thread": _THREAD},
    "web/my_data.html": {"v": MyData(1, _MY_EXPORT, young_person=True)},
    "web/sign_in_refused.html": [{"state": s} for s in ("used", "expired", "unknown")],
}


def _contexts(name: str) -> list[dict[str, Any]]:
    extra = EXTRA.get(name, {})
    return [GIVEN | e for e in (extra if isinstance(extra, list) else [extra])]


class _Stand(Undefined):
    """A value the test did not give: a short everyday word, a list of one, true."""

    def __str__(self) -> str:
        return "Sam"

    def __html__(self) -> str:
        return "Sam"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return type(self)(name=name)

    def __getitem__(self, key: object) -> Any:
        return type(self)(name=str(key))

    def __call__(self, *args: object, **kwargs: object) -> Any:
        return type(self)()

    def __iter__(self) -> Iterator[Any]:
        yield type(self)()

    def __len__(self) -> int:
        return 1

    def __bool__(self) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return False

    def __ne__(self, other: object) -> bool:
        return True

    def __lt__(self, other: object) -> bool:
        return False

    __le__ = __gt__ = __ge__ = __lt__
    __hash__ = Undefined.__hash__

    def __int__(self) -> int:
        return 3

    def __format__(self, spec: str) -> str:
        return "Sam"


class _Missing(_Stand):
    """A value the test did not give: nothing at all."""

    def __str__(self) -> str:
        return ""

    def __html__(self) -> str:
        return ""

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __bool__(self) -> bool:
        return False


_DATE_FILTERS = {"when", "day", "time", "isodate", "isodatetime"}


def _tolerant(name: str, real: Any) -> Any:
    def run(value: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(value, Undefined):
            if name in _DATE_FILTERS:
                value = WHEN
            else:
                try:
                    return real(value, *args, **kwargs)
                except Exception:
                    return str(value)
        if name in ("isodate", "isodatetime") and isinstance(value, date | datetime):
            return value
        return real(value, *args, **kwargs)

    return run


def _env(undefined: type[Undefined]) -> Any:
    texts = Texts(ZONE)
    env = texts.env.overlay(undefined=undefined)
    env.filters = {
        name: f if name in DEFAULT_FILTERS else _tolerant(name, f)
        for name, f in texts.env.filters.items()
    }
    return env


ENVS = {"given": _env(_Stand), "missing": _env(_Missing)}


def _excluded(name: str) -> str | None:
    for key, why in NEVER_TO_A_YOUNG_PERSON.items():
        if name == key or (key.endswith(("/", "*")) and name.startswith(key.rstrip("*"))):
            return why
    return None


def _young_persons_templates() -> list[str]:
    """Every messages/ template a young person can receive (the English originals)."""
    found = []
    for path in sorted(MESSAGES.rglob("*.html")):
        name = path.relative_to(MESSAGES).as_posix()
        if name.startswith("locales/") or name.endswith(".easy.html"):
            continue
        if path.name.startswith("_"):
            continue  # a partial: read inside the templates that include it
        if _excluded(name) is None:
            found.append(name)
    return found


def _as_received(name: str) -> str:
    easy = name.removesuffix(".html") + ".easy.html"
    return easy if (MESSAGES / easy).exists() else name


def _received(name: str) -> list[tuple[str, dict[str, Any]]]:
    """Each way a young person gets the template: easy-read, or (a page shown before
    anyone is known) the page itself, in no one's words but the defaults."""
    ways = [(_as_received(name), {})]
    if name in BEFORE_SIGN_IN and ways[0][0] != name:
        ways.append((name, {"easy": False}))
    elif name in BEFORE_SIGN_IN:
        ways = [(name, {"easy": False})]
    return ways


def _problems(text: str) -> list[str]:
    found = assess(text)
    if found.easy(MIN_SCORE):
        return []
    out = [f"reading ease {found.score} ({found.words} words); long words {found.long_words}"]
    return out + [f"over {MAX_WORDS} words: {s!r}" for s in found.long_sentences]


def test_every_listed_template_exists():
    """A name left in the list after its template went is a mistake to clear up."""
    for key in NEVER_TO_A_YOUNG_PERSON:
        if key.endswith("*"):
            assert list(MESSAGES.glob(key)), key
        else:
            assert (MESSAGES / key).exists(), key


@pytest.mark.parametrize("name", _young_persons_templates())
def test_young_persons_message_is_easy_to_read(name: str):
    problems = []
    for template, reader in _received(name):
        for side, env in ENVS.items():
            for context in _contexts(name):
                text = env.get_template(template).render(**context | reader)
                shown = " ".join(plain(text).split())
                problems += [f"{template} [{side}] {p}\n  {shown!r}" for p in _problems(text)]
    assert not problems, "\n".join(problems)


def _bank_texts() -> Iterator[tuple[str, str]]:
    banks = sorted((MESSAGES / "questions").glob("young_person*.toml"))
    assert banks
    shared = tomllib.loads((MESSAGES / "questions" / "_shared.toml").read_text())
    for bank in banks:
        data = tomllib.loads(bank.read_text())
        for q in data.get("questions", []):
            where = f"{bank.name}:{q['id']}"
            for key in ("text", "short"):
                if key in q:
                    yield f"{where}.{key}", q[key]
            for option in q.get("options", []):
                yield f"{where}.option.{option['value']}", option["label"]
    # The areas their summary is headed with, and the standard yes/no and scale choices.
    for area, label in shared["areas"].items():
        yield f"_shared.toml:areas.{area}", label
    for kind in ("yes_no", "scale"):
        for option in shared[kind]["options"]:
            yield f"_shared.toml:{kind}.{option['value']}", option["label"]
    feedback = tomllib.loads((MESSAGES / "feedback" / "questions.toml").read_text())
    for q in feedback["questions"]:
        yield f"feedback/questions.toml:{q['id']}.text", q["text"]
        for option in q.get("options", []):
            yield f"feedback/questions.toml:{q['id']}.option.{option['value']}", option["label"]


@pytest.mark.parametrize(("where", "text"), list(_bank_texts()), ids=lambda v: v[:60])
def test_young_persons_question_is_easy_to_read(where: str, text: str):
    rendered = ENVS["given"].from_string(text).render(**GIVEN)
    assert not _problems(rendered), f"{where}: {_problems(rendered)}\n  {rendered!r}"


def test_the_check_reads_what_is_rendered():
    """The harness itself: a hard sentence fails, markup and emoji do not count."""
    hard = "Multidisciplinary deliberations necessitate comprehensive documentation."
    assert _problems(hard)
    assert not _problems("<b>Hello</b> 👋\nYour meeting is tomorrow.")
    assert Path(MESSAGES / _as_received("start/help.html")).exists()
