"""The `cetr-bot` command line. Thin: parse, call the same services as the bot, print."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, NoReturn

from cetr_bot import logging_setup
from cetr_bot.config import ConfigError, Settings, load_settings
from cetr_bot.domain import (
    DsrBasis,
    DsrLeft,
    Need,
    Rag,
    Role,
    parse_need,
    parse_recorded_type,
    parse_review_type,
    parse_role,
)
from cetr_bot.notifications import data_compose
from cetr_bot.parsing import parse_date, parse_local_datetime
from cetr_bot.services import (
    actions,
    audit_trail,
    dsr,
    invitations,
    needs,
    retention,
    reviews,
    subject_access,
    teams,
)
from cetr_bot.services.context import Actor, Services
from cetr_bot.services.errors import ServiceError
from cetr_bot.storage import encrypted, keys
from cetr_bot.storage.session import SchemaNotCurrent
from cetr_bot.text import Texts

CLI = Actor.cli()


class UsageError(Exception):
    """Bad arguments: one clear line and exit status 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see --help)")


def build_parser() -> Parser:
    parser = Parser(prog="cetr-bot", description="Care, Education and Treatment Review bot")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    sub.add_parser("run", help="run the bot against Telegram (needs BOT_TOKEN)")
    sub.add_parser("demo", help="play a scripted demo on the local sandbox and embedded SQLite")
    sandbox = sub.add_parser("sandbox", help="start the local Telegram sandbox alone")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8081)
    db = sub.add_parser("db", help="database tasks")
    db_sub = db.add_subparsers(dest="db_command", required=True, parser_class=Parser)
    db_sub.add_parser("upgrade", help="apply the migrations")
    key = sub.add_parser("keys", help="the data encryption keys (DATA_ENCRYPTION_KEYS)")
    key_sub = key.add_subparsers(dest="keys_command", required=True, parser_class=Parser)
    generate = "print a new key (put it first in DATA_ENCRYPTION_KEYS)"
    key_sub.add_parser("generate", help=generate, description=generate)
    rotating = "re-encrypt every encrypted value under the first key; prints counts per column"
    rotate = key_sub.add_parser("rotate", help=rotating, description=rotating)
    rotate.add_argument("--batch", type=int, default=500, help="rows per transaction")
    _review_parsers(sub)
    invite = sub.add_parser("invite", help="make an invitation link for a role in a review")
    invite.add_argument("review_id", type=int)
    invite.add_argument("--role", required=True, help=", ".join(r.value for r in Role))
    revoke = sub.add_parser("revoke", help="withdraw an invitation that has not been used")
    revoke.add_argument("participant_id", type=int)
    _action_parsers(sub)
    _dsr_parsers(sub)
    _team_parsers(sub)
    pack = sub.add_parser("pack", help="write a review's panel pack (HTML) to a file")
    pack.add_argument("review_id", type=int)
    pack.add_argument(
        "-o", "--output", required=True, help="file to write: pack.html, or pack.pdf for a PDF"
    )
    pack.add_argument(
        "--for", dest="for_participant", type=int, help="only if this participant may read it"
    )
    _governance_parsers(sub)
    _needs_parsers(sub)
    return parser


def _governance_parsers(sub: Any) -> None:
    trail = sub.add_parser(
        "audit", help="the audit trail: who saw or changed what, when (ids, never content)"
    )
    trail.add_argument("--review", type=int, help="only events about this review")
    trail.add_argument("--person", type=int, help="only events about, or by, this person")
    trail.add_argument("--since", help="only events on or after this date, YYYY-MM-DD (UTC)")
    trail.add_argument("--format", choices=("table", "json"), default="table")
    retention = sub.add_parser(
        "retention", help="remove free text and names RETENTION_MONTHS after a review closed"
    )
    retention.add_argument(
        "--dry-run", action="store_true", help="list what the next run would remove; change nothing"
    )
    export = sub.add_parser(
        "export",
        help="write everything held about a person (subject access): FILE.json and FILE.html",
    )
    export.add_argument("--person", type=int, required=True, help="the person's id (P12: 12)")
    export.add_argument(
        "-o",
        "--output",
        required=True,
        help="FILE: writes FILE.json and FILE.html (FILE.json or FILE.html: that one only)",
    )
    erase = sub.add_parser(
        "erase",
        help="erase a person's data (names, words, Telegram ids); refused under a legal hold",
    )
    erase.add_argument("--person", type=int, required=True, help="the person's id (P12: 12)")
    erase.add_argument(
        "--reason", required=True, help="why (kept in the audit trail): never the person's name"
    )


def _needs_parsers(sub: Any) -> None:
    needs_ = sub.add_parser("needs", help="a person's communication needs (easy-read, BSL...)")
    needs_sub = needs_.add_subparsers(dest="needs_command", required=True, parser_class=Parser)
    names = ", ".join(n.value.replace("_", "-") for n in Need)
    put = needs_sub.add_parser("set", help="record needs for a person")
    put.add_argument("--person", type=int, required=True, help="the person's id (P12: 12)")
    put.add_argument(
        "--need",
        action="append",
        default=[],
        metavar="NEED[=WORDS]",
        help=f"one of {names}; interpreter=LANGUAGE, times=WHEN (repeat for more)",
    )
    put.add_argument("--remove", action="append", default=[], metavar="NEED", help="take one off")
    put.add_argument("--clear", action="store_true", help="take off every need not given")
    show = needs_sub.add_parser("show", help="a person's recorded needs")
    show.add_argument("--person", type=int, required=True, help="the person's id (P12: 12)")


def _need_arg(text: str) -> tuple[Need, str | None]:
    name, _, words = text.partition("=")
    need = parse_need(name)
    if need is None:
        raise UsageError(
            f"cetr-bot: unknown need {name!r}; one of: "
            + ", ".join(n.value.replace("_", "-") for n in Need)
        )
    return need, words.strip() or None


async def _needs(svc: Services, texts: Texts, args: argparse.Namespace) -> int:
    if args.needs_command == "show":
        found = await needs.for_person(svc, CLI, args.person)
    else:
        add = dict(_need_arg(n) for n in args.need)
        remove = {_need_arg(n)[0] for n in args.remove}
        found = await needs.set_for_person(
            svc, CLI, args.person, add=add, remove=remove, clear=args.clear
        )
    print(texts.plain("needs/cli", person_id=args.person, lines=found))
    return 0


def _action_parsers(sub: Any) -> None:
    action = sub.add_parser("action", help="actions agreed at a review")
    action_sub = action.add_subparsers(dest="action_command", required=True, parser_class=Parser)
    add = action_sub.add_parser("add", help="record an action; prints its id")
    add.add_argument("review_id", type=int)
    add.add_argument("--owner", type=int, required=True, help="participant id (see review show)")
    add.add_argument("--due", required=True, help="due date, YYYY-MM-DD")
    add.add_argument("--what", required=True, help="what is to be done")
    listing = action_sub.add_parser("list", help="the actions of a review")
    listing.add_argument("review_id", type=int)
    show = action_sub.add_parser("show", help="one action and its history")
    show.add_argument("action_id", type=int)


def _dsr_parsers(sub: Any) -> None:
    register = sub.add_parser("dsr", help="the Dynamic Support Register (who is at risk)")
    dsr_sub = register.add_subparsers(dest="dsr_command", required=True, parser_class=Parser)
    add = dsr_sub.add_parser("add", help="put a young person on the register; prints its id")
    add.add_argument("--ref", required=True, help="pseudonymous reference, never a full name")
    add.add_argument("--dob", required=True, help="date of birth, YYYY-MM-DD")
    add.add_argument("--rag", required=True, choices=("red", "amber", "green"))
    add.add_argument("--reason", help="why this rating")
    add.add_argument("--basis", choices=("consent", "best-interests"), default="consent")
    add.add_argument("--key-worker", dest="key_worker", help="the key worker")
    add.add_argument("--team", type=_team_name, help="the team (needed when there are several)")
    dsr_sub.add_parser("list", help="the register by colour, with what is due next")
    for name, helptext in (("show", "one entry in full"), ("history", "every change")):
        dsr_sub.add_parser(name, help=helptext).add_argument("entry_id", type=int)
    rate = dsr_sub.add_parser("rate", help="change the rating")
    rate.add_argument("entry_id", type=int)
    rate.add_argument("--rag", required=True, choices=("red", "amber", "green"))
    rate.add_argument("--reason", required=True)
    admit = dsr_sub.add_parser("admit", help="record an admission (the entry turns blue)")
    admit.add_argument("entry_id", type=int)
    admit.add_argument("--on", required=True, help="admission date, YYYY-MM-DD")
    admit.add_argument("--out-of-area", dest="out_of_area", action="store_true")
    discharge = dsr_sub.add_parser("discharge", help="record the discharge and the new rating")
    discharge.add_argument("entry_id", type=int)
    discharge.add_argument("--on", required=True, help="discharge date, YYYY-MM-DD")
    discharge.add_argument("--rag", required=True, choices=("red", "amber", "green"))
    decline = dsr_sub.add_parser("decline", help="the community CETR due will not happen: why")
    decline.add_argument("entry_id", type=int)
    decline.add_argument("--reason", required=True)
    leave = dsr_sub.add_parser(
        "leave", help="take the young person off the register (dsr add puts them back)"
    )
    leave.add_argument("entry_id", type=int)
    leave.add_argument("--why", required=True, choices=[w.value for w in DsrLeft])
    report = dsr_sub.add_parser("report", help="the month's summary against the 90%% standard")
    report.add_argument("--month", required=True, help="YYYY-MM")
    cetr = sub.add_parser("cetr", help="CETRs and emergency meetings held elsewhere")
    cetr_sub = cetr.add_subparsers(dest="cetr_command", required=True, parser_class=Parser)
    record = cetr_sub.add_parser("record", help="record one so the rules know of it")
    record.add_argument("--ref", required=True)
    record.add_argument(
        "--type", required=True, help="community, post-admission, inpatient or laep"
    )
    record.add_argument("--on", required=True, help="the date it was held, YYYY-MM-DD")
    record.add_argument("--outcome", help="what it decided, in a few words")


def _user_id(value: str) -> int:
    try:
        return teams.validate_user_id(value)
    except ServiceError:
        raise argparse.ArgumentTypeError(f"not a Telegram user id: {value!r}") from None


def _team_name(value: str) -> str:
    try:
        return teams.validate_name(value)
    except ServiceError:
        raise argparse.ArgumentTypeError(
            f"not a team name (one word, up to 40 letters, numbers, . - _): {value!r}"
        ) from None


def _team_parsers(sub: Any) -> None:
    team = sub.add_parser("team", help="commissioning teams (each sees only its own reviews)")
    team_sub = team.add_subparsers(dest="team_command", required=True, parser_class=Parser)
    team_sub.add_parser("add", help="set up a team").add_argument("name", type=_team_name)
    team_sub.add_parser("list", help="the teams, their coordinators and reviews")
    contact = team_sub.add_parser(
        "contact", help="who a team's families and young people contact about actions"
    )
    contact.add_argument(
        "text", help='the contact line, e.g. "the CETR team, 0113 000 0000"; off clears it'
    )
    contact.add_argument("--team", type=_team_name, help="the team (needed when there are several)")
    coordinator = sub.add_parser("coordinator", help="who coordinates for which team")
    coordinator_sub = coordinator.add_subparsers(
        dest="coordinator_command", required=True, parser_class=Parser
    )
    add = coordinator_sub.add_parser("add", help="make someone a coordinator of a team")
    add.add_argument("telegram_id", type=_user_id)
    add.add_argument("--team", required=True, type=_team_name)
    remove = coordinator_sub.add_parser("remove", help="from every team, or from --team only")
    remove.add_argument("telegram_id", type=_user_id)
    remove.add_argument("--team", type=_team_name)
    admin = sub.add_parser("admin", help="administrators (they manage teams, see no review)")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True, parser_class=Parser)
    admin_sub.add_parser("add", help="add an administrator").add_argument(
        "telegram_id", type=_user_id
    )
    admin_sub.add_parser("remove", help="remove an administrator").add_argument(
        "telegram_id", type=_user_id
    )


def _review_parsers(sub: Any) -> None:
    review = sub.add_parser("review", help="set up and look at reviews")
    review_sub = review.add_subparsers(dest="review_command", required=True, parser_class=Parser)
    add = review_sub.add_parser("add", help="set up a review; prints its id")
    add.add_argument("--ref", help="pseudonymous reference, never a full name (or --dsr)")
    add.add_argument("--type", required=True, help="community, post-admission or inpatient")
    add.add_argument("--at", required=True, help='local date and time, "YYYY-MM-DD HH:MM"')
    add.add_argument("--where", help="venue or video link")
    add.add_argument("--dob", help="date of birth, YYYY-MM-DD")
    add.add_argument("--admitted", help="admission date, YYYY-MM-DD")
    add.add_argument(
        "--team", type=_team_name, help="the team it belongs to (needed when there are several)"
    )
    add.add_argument(
        "--dsr", type=int, help="register entry: its reference, date of birth and admission"
    )
    review_sub.add_parser("list", help="upcoming reviews")
    held = review_sub.add_parser("held", help="mark a review as held")
    held.add_argument("review_id", type=int)
    held.add_argument(
        "--on", help="the date it was held, YYYY-MM-DD (default today, once it has started)"
    )
    show = review_sub.add_parser("show", help="one review in full")
    show.add_argument("review_id", type=int)
    hold = review_sub.add_parser("hold-data", help="legal hold: retention keeps all its data")
    hold.add_argument("review_id", type=int)
    hold.add_argument("--reason", required=True, help="why the data must be kept")
    release = review_sub.add_parser("release-data", help="lift the legal hold on its data")
    release.add_argument("review_id", type=int)
    release.add_argument("--reason", required=True, help="why the hold can end")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        settings = load_settings()
        return _dispatch(args, settings)
    except (UsageError, ConfigError, SchemaNotCurrent) as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    logging_setup.configure(
        logging.INFO if args.command == "run" else logging.WARNING, settings.log_format
    )
    if args.command == "run":
        return _run(settings)
    if args.command == "demo":
        from cetr_bot.demo import run_demo

        return asyncio.run(run_demo())
    if args.command == "sandbox":
        return _sandbox(args.host, args.port)
    if args.command == "db":  # the one place migrations run when AUTO_MIGRATE is false
        return asyncio.run(_with_services(settings, lambda svc, texts: _noop(), upgrade=True))
    if args.command == "keys" and args.keys_command == "generate":
        print(encrypted.generate_key())
        print(Texts(settings.zone).plain("keys/new_key_help"), file=sys.stderr)
        return 0
    handlers: dict[str, Callable[[Services, Texts], Awaitable[int]]] = {
        "review": lambda svc, texts: _review(svc, texts, args),
        "invite": lambda svc, texts: _invite(svc, texts, args),
        "revoke": lambda svc, texts: _revoke(svc, texts, args),
        "action": lambda svc, texts: _action(svc, texts, args),
        "dsr": lambda svc, texts: _dsr(svc, texts, args),
        "cetr": lambda svc, texts: _cetr(svc, texts, args),
        "pack": lambda svc, texts: _pack(svc, texts, args),
        "team": lambda svc, texts: _team(svc, texts, args),
        "coordinator": lambda svc, texts: _coordinator(svc, texts, args),
        "admin": lambda svc, texts: _admin(svc, texts, args),
        "audit": lambda svc, texts: _audit(svc, texts, args),
        "retention": lambda svc, texts: _retention(svc, texts, args),
        "export": lambda svc, texts: _export(svc, texts, args),
        "erase": lambda svc, texts: _erase(svc, texts, args),
        "needs": lambda svc, texts: _needs(svc, texts, args),
        "keys": lambda svc, texts: _rotate(svc, texts, args.batch),
    }
    return asyncio.run(_with_services(settings, handlers[args.command]))


async def _noop() -> int:
    print("Database is up to date.")
    return 0


def _run(settings: Settings) -> int:
    if not settings.bot_token:
        print(
            "BOT_TOKEN is not set: put it in the environment or .env "
            "(or try `make demo` to see the bot on the local sandbox).",
            file=sys.stderr,
        )
        return 2
    resolved = _resolve_keys(settings)  # production without a key: ConfigError, exit 2
    from cetr_bot.runner import serve

    asyncio.run(serve(settings, resolved))
    return 0


def _resolve_keys(settings: Settings) -> keys.ResolvedKeys:
    resolved = keys.resolve(settings)
    if resolved.generated is not None:
        print(
            Texts(settings.zone).plain("keys/generated", path=resolved.generated), file=sys.stderr
        )
    return resolved


async def _rotate(svc: Services, texts: Texts, batch: int) -> int:
    if batch < 1:
        raise UsageError("cetr-bot keys rotate: --batch must be at least 1")
    try:
        results = await keys.rotate(svc.db, batch_size=batch)
    except encrypted.DecryptionError as exc:  # names the column, row and key id only
        print(f"cetr-bot keys rotate: {exc}", file=sys.stderr)
        return 1
    current = encrypted.ring_of(svc.db.engine.dialect).current_id
    total = sum(r.reencrypted for r in results)
    print(texts.plain("keys/rotated", results=results, current=current, total=total))
    return 0


def _sandbox(host: str, port: int) -> int:
    from cetr_bot.sandbox import serve_forever

    print(f"Telegram sandbox on http://{host}:{port} (Ctrl+C to stop)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(host, port))
    return 0


async def _with_services(
    settings: Settings,
    action: Callable[[Services, Texts], Awaitable[int]],
    *,
    upgrade: bool | None = None,
) -> int:
    from cetr_bot.runner import open_services

    _resolve_keys(settings)  # says so if it makes a local key file; open_services reads it
    svc = await open_services(settings, upgrade=upgrade)
    try:
        await _learn_username(svc)
        return await action(svc, Texts(settings.zone))
    except ServiceError as error:
        print(Texts(settings.zone).plain(f"errors/{error.key}", **error.params), file=sys.stderr)
        return 1
    finally:
        await svc.db.dispose()


async def _learn_username(svc: Services) -> None:
    """Invite links need the bot's username; ask the Bot API if we have a token."""
    if svc.settings.bot_username or not svc.settings.bot_token:
        return
    from telegram import Bot
    from telegram.error import TelegramError

    try:
        token = svc.settings.bot_token.get_secret_value()
        bot = Bot(token, base_url=f"{svc.settings.telegram_api_url}/bot")
        async with bot:
            svc.bot_username = bot.username
    except (TelegramError, OSError):
        logging.getLogger(__name__).warning("could not ask the Bot API for the bot's username")


def _date_arg(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    parsed = parse_date(value)
    if parsed is None:
        raise UsageError(f"cetr-bot: {name} must be a date like 2012-03-14, not {value!r}")
    return parsed


async def _review(svc: Services, texts: Texts, args: argparse.Namespace) -> int:
    if args.review_command == "add":
        if args.ref is None and args.dsr is None:
            raise UsageError("cetr-bot review add: --ref (or --dsr) is required (see --help)")
        kind = parse_review_type(args.type)
        if kind is None:
            raise UsageError("cetr-bot: --type must be community, post-admission or inpatient")
        at = parse_local_datetime(args.at, svc.settings.zone)
        if at is None:
            raise UsageError(f'cetr-bot: --at must look like "2026-12-03 10:00", not {args.at!r}')
        ref, dob, admitted, team = args.ref, _date_arg(args.dob, "--dob"), None, args.team
        admitted = _date_arg(args.admitted, "--admitted")
        if args.dsr is not None:  # one young person, one record: the register's facts
            ref, known_dob, known_admitted, known_team = await dsr.entry_of_young_person(
                svc, CLI, args.dsr
            )
            dob, admitted, team = dob or known_dob, admitted or known_admitted, team or known_team
        result = await reviews.create_review(
            svc,
            CLI,
            ref=ref,
            review_type=kind,
            at=at,
            location=args.where,
            date_of_birth=dob,
            admitted_on=admitted,
            team=team,
        )
        print(result.review_id)
        for warning in result.warnings:
            print(
                "warning:",
                texts.plain(f"warnings/{warning.code}", **warning.params),
                file=sys.stderr,
            )
        return 0
    if args.review_command == "held":
        on = await actions.mark_held(
            svc, CLI, review_id=args.review_id, held_on=_date_arg(args.on, "--on")
        )
        print(texts.plain("actions/held", review_id=args.review_id, held_on=on))
        return 0
    if args.review_command == "hold-data":
        hold_id = await retention.hold_data(svc, CLI, review_id=args.review_id, reason=args.reason)
        print(texts.plain("governance/held", review_id=args.review_id, hold_id=hold_id))
        return 0
    if args.review_command == "release-data":
        hold_id = await retention.release_data(
            svc, CLI, review_id=args.review_id, reason=args.reason
        )
        print(texts.plain("governance/released", review_id=args.review_id, hold_id=hold_id))
        return 0
    if args.review_command == "list":
        print(texts.plain("coordinator/reviews", reviews=await reviews.list_upcoming(svc, CLI)))
        return 0
    detail = await reviews.review_detail(svc, CLI, args.review_id)
    print(texts.plain("coordinator/review", detail=detail))
    return 0


async def _audit(svc: Services, texts: Texts, args: argparse.Namespace) -> int:
    day = _date_arg(args.since, "--since")
    since = datetime.combine(day, time(0, 0), tzinfo=UTC) if day else None
    rows = await audit_trail.audit_log(
        svc, CLI, review_id=args.review, person_id=args.person, since=since
    )
    if args.format == "json":
        print(json.dumps([r.as_json() for r in rows], indent=2, ensure_ascii=False))
    else:
        print(texts.plain("governance/audit_table", rows=rows))
    return 0


async def _retention(svc: Services, texts: Texts, args: argparse.Namespace) -> int:
    if args.dry_run:
        result = await retention.plan(svc, CLI)
    else:
        result = await retention.run(svc, CLI)
    print(texts.plain("governance/retention", plan=result))
    return 0


def _export_paths(output: str) -> list[Path]:
    path = Path(output)
    if path.suffix.lower() in (".json", ".html"):
        return [path]
    return [path.with_name(path.name + ".json"), path.with_name(path.name + ".html")]


async def _export(svc: Services, texts: Texts, args: argparse.Namespace) -> int:
    found = await subject_access.export_person(svc, CLI, args.person)
    paths = _export_paths(args.output)
    for path in paths:
        if path.suffix.lower() == ".json":
            path.write_text(found.to_json() + "\n", encoding="utf-8")
        else:
            path.write_text(data_compose.export_page(texts, found), encoding="utf-8")
    print(texts.plain("mydata/exported", export=found, paths=[str(p) for p in paths]))
    return 0


async def _erase(svc: Services, texts: Texts, args: argparse.Namespace) -> int:
    erasure = await subject_access.erase_person(svc, CLI, args.person, reason=args.reason)
    print(texts.plain("mydata/erased", erasure=erasure))
    return 0


async def _invite(svc: Services, texts: Texts, args: argparse.Namespace) -> int:
    role = parse_role(args.role)
    if role is None:
        raise UsageError(
            f"cetr-bot: unknown role {args.role!r}; one of: " + ", ".join(r.value for r in Role)
        )
    created = await invitations.create_invitation(svc, CLI, review_id=args.review_id, role=role)
    print(created.link)
    print(created.token)
    return 0


async def _action(svc: Services, texts: Texts, args: argparse.Namespace) -> int:
    if args.action_command == "add":
        due = _date_arg(args.due, "--due")
        assert due is not None
        view = await actions.add_action(
            svc,
            CLI,
            review_id=args.review_id,
            owner_participant_id=args.owner,
            what=args.what,
            due_on=due,
        )
        print(view.id)
        return 0
    if args.action_command == "list":
        items = await actions.list_actions(svc, CLI, review_id=args.review_id)
        print(texts.plain("actions/list", review_id=args.review_id, items=items))
        return 0
    view, history = await actions.show_action(svc, CLI, action_id=args.action_id)
    print(texts.plain("actions/detail", a=view, history=history))
    return 0


async def _pack(svc: Services, texts: Texts, args: argparse.Namespace) -> int:
    from cetr_bot.services import pack

    current = await pack.pack_for(
        svc, CLI, review_id=args.review_id, for_participant=args.for_participant
    )
    try:
        html = pack.render(texts, current)
        target = Path(args.output)
        if target.suffix.lower() == ".pdf":
            await asyncio.to_thread(target.write_bytes, await asyncio.to_thread(pack.to_pdf, html))
        else:
            await asyncio.to_thread(target.write_text, html, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cetr-bot: cannot write {args.output}: {exc.strerror}") from None
    print(args.output)
    return 0


async def _revoke(svc: Services, texts: Texts, args: argparse.Namespace) -> int:
    await invitations.revoke_invitation(svc, CLI, participant_id=args.participant_id)
    print(texts.plain("coordinator/revoked"))
    return 0


async def _team(svc: Services, texts: Texts, args: argparse.Namespace) -> int:
    if args.team_command == "add":
        name = await teams.add_team(svc, CLI, args.name)
        print(texts.plain("admin/team_added", name=name))
        return 0
    if args.team_command == "contact":
        done = await teams.set_contact(svc, CLI, args.text, team=args.team)
        print(texts.plain("admin/contact_set", team=done.team, contact=done.contact))
        return 0
    print(texts.plain("admin/teams", teams=await teams.list_teams(svc, CLI)))
    return 0


async def _coordinator(svc: Services, texts: Texts, args: argparse.Namespace) -> int:
    user_id = args.telegram_id
    if args.coordinator_command == "add":
        name = await teams.add_coordinator(svc, CLI, telegram_user_id=user_id, team=args.team)
        print(texts.plain("admin/coordinator_added", user_id=user_id, name=name))
        return 0
    removed = await teams.remove_coordinator(svc, CLI, telegram_user_id=user_id, team=args.team)
    print(
        texts.plain("admin/coordinator_removed", user_id=user_id, team=args.team, removed=removed)
    )
    return 0


async def _admin(svc: Services, texts: Texts, args: argparse.Namespace) -> int:
    user_id = args.telegram_id
    if args.admin_command == "add":
        await teams.add_admin(svc, CLI, telegram_user_id=user_id)
        print(texts.plain("admin/admin_added", user_id=user_id))
        return 0
    removed = await teams.remove_admin(svc, CLI, telegram_user_id=user_id)
    print(texts.plain("admin/admin_removed", user_id=user_id, removed=removed))
    return 0


def _required_date(value: str, name: str) -> date:
    day = _date_arg(value, name)
    assert day is not None
    return day


async def _dsr(svc: Services, texts: Texts, args: argparse.Namespace) -> int:
    command = args.dsr_command
    if command == "add":
        view = await dsr.add_entry(
            svc,
            CLI,
            ref=args.ref,
            date_of_birth=_required_date(args.dob, "--dob"),
            rag=Rag(args.rag),
            reason=args.reason,
            basis=DsrBasis(args.basis),
            key_worker=args.key_worker,
            team=args.team,
        )
        print(view.id)
        print(texts.plain("dsr/added", v=view), file=sys.stderr)
        return 0
    if command == "list":
        print(texts.plain("dsr/register", reg=await dsr.register(svc, CLI)))
        return 0
    if command == "show":
        print(texts.plain("dsr/detail", v=await dsr.show_entry(svc, CLI, args.entry_id), full=True))
        return 0
    if command == "history":
        view, lines = await dsr.history(svc, CLI, args.entry_id)
        print(texts.plain("dsr/history", v=view, lines=lines))
        return 0
    if command == "report":
        print(texts.plain("dsr/report", s=await dsr.month_report(svc, CLI, args.month)))
        return 0
    if command == "leave":
        view = await dsr.leave(svc, CLI, entry_id=args.entry_id, why=DsrLeft(args.why))
        print(texts.plain("dsr/left", v=view, months=svc.settings.retention_months))
        return 0
    if command == "rate":
        view = await dsr.rate(
            svc, CLI, entry_id=args.entry_id, rag=Rag(args.rag), reason=args.reason
        )
    elif command == "admit":
        view = await dsr.admit(
            svc,
            CLI,
            entry_id=args.entry_id,
            on=_required_date(args.on, "--on"),
            out_of_area=args.out_of_area,
        )
    elif command == "discharge":
        view = await dsr.discharge(
            svc, CLI, entry_id=args.entry_id, on=_required_date(args.on, "--on"), rag=Rag(args.rag)
        )
    else:
        view = await dsr.decline_cetr(svc, CLI, entry_id=args.entry_id, reason=args.reason)
    print(texts.plain("dsr/changed", v=view, without=view.admitted_without_cetr))
    return 0


async def _cetr(svc: Services, texts: Texts, args: argparse.Namespace) -> int:
    kind = parse_recorded_type(args.type)
    if kind is None:
        raise UsageError("cetr-bot: --type must be community, post-admission, inpatient or laep")
    on = _required_date(args.on, "--on")
    recorded = await dsr.record_review(
        svc, CLI, ref=args.ref, review_type=kind, on=on, outcome=args.outcome
    )
    print(texts.plain("dsr/recorded", type=kind, on=on, id=recorded))
    return 0
