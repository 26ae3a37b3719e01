"""The administrators' commands: /team, /coordinator and /admin. Every call goes
through services/teams.py, which checks again that the user is an administrator
and audits the change."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from cetr_bot.services import teams
from cetr_bot.telegram.replies import Context, actor_of, guarded, rest_of, say, services


def register(app: Application) -> None:
    """Add this module's commands and buttons (called before the catch-all handlers)."""
    private = filters.ChatType.PRIVATE
    for name, handler in (("team", team), ("coordinator", coordinator), ("admin", admin)):
        app.add_handler(CommandHandler(name, guarded(handler), filters=private))


def _args(context: Context) -> list[str]:
    return [a for a in (context.args or []) if a][:4]


async def team(update: Update, context: Context) -> None:
    """/team list · /team add NAME (administrators) · /team contact [TEAM] TEXT (coordinators)"""
    svc, actor, args = services(context), actor_of(update), _args(context)
    if args and args[0].lower() == "contact":
        await team_contact(update, context)
        return
    await teams.require_admin(svc, actor, "team")
    verb = args[0].lower() if args else ""
    if verb == "list" and len(args) == 1:
        await say(update, context, "admin/teams", teams=await teams.list_teams(svc, actor))
    elif verb == "add" and len(args) == 2:
        name = await teams.add_team(svc, actor, args[1])
        await say(update, context, "admin/team_added", name=name)
    else:
        await say(update, context, "admin/usage_team")


async def team_contact(update: Update, context: Context) -> None:
    """/team contact TEXT: who this coordinator's families and young people contact."""
    svc, actor = services(context), actor_of(update)
    text = rest_of(update).split(maxsplit=1)  # "contact", then the line itself
    if len(text) < 2:
        await svc.require_coordinator(actor)
        await say(update, context, "admin/usage_contact")
        return
    done = await teams.set_contact(svc, actor, text[1])
    await say(update, context, "admin/contact_set", team=done.team, contact=done.contact)


async def coordinator(update: Update, context: Context) -> None:
    """/coordinator add ID TEAM · /coordinator remove ID [TEAM]"""
    svc, actor, args = services(context), actor_of(update), _args(context)
    await teams.require_admin(svc, actor, "coordinator")
    verb = args[0].lower() if args else ""
    if verb == "add" and len(args) == 3:
        user_id = teams.validate_user_id(args[1])
        name = await teams.add_coordinator(svc, actor, telegram_user_id=user_id, team=args[2])
        await say(update, context, "admin/coordinator_added", user_id=user_id, name=name)
    elif verb == "remove" and len(args) in (2, 3):
        user_id = teams.validate_user_id(args[1])
        team_name = args[2] if len(args) == 3 else None
        removed = await teams.remove_coordinator(
            svc, actor, telegram_user_id=user_id, team=team_name
        )
        await say(
            update,
            context,
            "admin/coordinator_removed",
            user_id=user_id,
            team=team_name,
            removed=removed,
        )
    else:
        await say(update, context, "admin/usage_coordinator")


async def admin(update: Update, context: Context) -> None:
    """/admin add ID · /admin remove ID"""
    svc, actor, args = services(context), actor_of(update), _args(context)
    await teams.require_admin(svc, actor, "admin")
    verb = args[0].lower() if args else ""
    if verb not in ("add", "remove") or len(args) != 2:
        await say(update, context, "admin/usage_admin")
        return
    user_id = teams.validate_user_id(args[1])
    if verb == "add":
        await teams.add_admin(svc, actor, telegram_user_id=user_id)
        await say(update, context, "admin/admin_added", user_id=user_id)
    else:
        removed = await teams.remove_admin(svc, actor, telegram_user_id=user_id)
        await say(update, context, "admin/admin_removed", user_id=user_id, removed=removed)
