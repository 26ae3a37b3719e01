"""Guided flows around actions, kept in the database like the coordinator's others:
recording an action (what → owner → due date), changing an open action's date or words,
and an owner's typed update. An action's words the young person will see are checked
for reading ease (services/plain_words) when recorded and when changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from cetr_bot.domain import Role, parse_role
from cetr_bot.parsing import parse_date
from cetr_bot.services import actions, flows, invitations, plain_words
from cetr_bot.services.context import Actor, Services
from cetr_bot.services.errors import Invalid, ServiceError

ADD_ACTION = "addaction"
OWNER_TEXT = "actiontext"  # an owner's update or reason for help
EDIT_ACTION = "actionedit"  # the coordinator's new date or words for an open action
EditField = Literal["change_due", "change_what"]


@dataclass
class ActionStep:
    name: str  # what | owner | due | done
    review_id: int
    data: dict[str, Any] = field(default_factory=dict)
    error: ServiceError | None = None
    action: actions.ActionView | None = None
    invite: invitations.InviteCreated | None = None
    # The words typed for "what" read as hard for the young person, who will see them:
    # they wait (as data["held"]) for the coordinator to keep them or write them again.
    hard: plain_words.HardToRead | None = None


def _step(data: dict[str, Any]) -> str:
    return next((n for n in ("what", "owner", "due") if n not in data), "done")


async def start_add_action(svc: Services, actor: Actor, review_id: int) -> ActionStep:
    await svc.require_coordinator(actor)
    await actions.check_can_add(svc, actor, review_id=review_id)
    await flows.save(svc, actor, ADD_ACTION, {"review_id": review_id})
    return ActionStep("what", review_id)


async def _pending(svc: Services, actor: Actor, kind: str) -> dict[str, Any]:
    row = await flows.current(svc, actor)
    if row is None or row.kind != kind:
        raise Invalid("stale_button")
    return dict(row.data)


async def add_action_text(svc: Services, actor: Actor, text: str) -> ActionStep:
    await svc.require_coordinator(actor)
    data = await _pending(svc, actor, ADD_ACTION)
    review_id, name = int(data["review_id"]), _step(data)
    try:
        if name == "what":
            what = actions.validate_what(text)
            hard = plain_words.check(what)
            if hard is not None and await actions.young_person_sees(svc, review_id):
                data["held"] = what
                await flows.save(svc, actor, ADD_ACTION, data)
                return ActionStep(name, review_id, data, hard=hard)
            data.pop("held", None)
            data["what"] = what
        elif name == "due":
            return await _finish(svc, actor, data, text)
        else:
            raise Invalid("use_buttons")
    except ServiceError as error:
        return ActionStep(name, review_id, data, error=error)
    await flows.save(svc, actor, ADD_ACTION, data)
    return ActionStep(_step(data), review_id, data)


async def keep_held_what(svc: Services, actor: Actor, *, keep: bool) -> ActionStep:
    """The coordinator's choice on words that read as hard: keep them (on to the
    owner) or write them again (back to "what")."""
    await svc.require_coordinator(actor)
    data = await _pending(svc, actor, ADD_ACTION)
    if "held" not in data or _step(data) != "what":
        raise Invalid("stale_button")
    held = data.pop("held")
    if keep:
        data["what"] = held
    await flows.save(svc, actor, ADD_ACTION, data)
    return ActionStep(_step(data), int(data["review_id"]), data)


async def add_action_owner(
    svc: Services, actor: Actor, *, participant_id: int | None = None, new_role: str | None = None
) -> ActionStep:
    """The owner is an existing participant, or someone new invited for a role."""
    await svc.require_coordinator(actor)
    data = await _pending(svc, actor, ADD_ACTION)
    review_id = int(data["review_id"])
    if _step(data) != "owner":
        return ActionStep(_step(data), review_id, data, error=Invalid("moved_on"))
    invite = None
    if new_role is not None:
        role = parse_role(new_role)
        if role is None:
            raise Invalid("stale_button")
        invite = await invitations.create_invitation(
            svc, actor, review_id=review_id, role=role, allow_held=True
        )
        participant_id = invite.participant_id
    choices = await actions.participants_for_owner_choice(svc, actor, review_id=review_id)
    if participant_id not in [c[0] for c in choices]:
        raise Invalid("owner_not_in_review", review_id=review_id)
    data["owner"] = participant_id
    await flows.save(svc, actor, ADD_ACTION, data)
    return ActionStep("due", review_id, data, invite=invite)


async def _finish(svc: Services, actor: Actor, data: dict[str, Any], text: str) -> ActionStep:
    due = parse_date(text[:100])
    if due is None:
        raise Invalid("bad_date")
    view = await actions.add_action(
        svc,
        actor,
        review_id=int(data["review_id"]),
        owner_participant_id=int(data["owner"]),
        what=data["what"],
        due_on=due,
    )
    await flows.clear(svc, actor)
    return ActionStep("done", view.review_id, data, action=view)


# --- the coordinator changes an open action's date or words ------------------------------


@dataclass(frozen=True)
class EditStep:
    action_id: int
    # The action as changed; None: not changed yet (words held, or to be written again).
    changed: actions.ActionView | None = None
    # The new words read as hard for the young person, who will see them: they wait (as
    # data["held"]) for the coordinator to keep them or write them again.
    hard: plain_words.HardToRead | None = None


async def start_edit(svc: Services, actor: Actor, *, action_id: int, field: EditField) -> None:
    """The coordinator pressed "change date" or "change what": their next words are it."""
    await actions.review_of_editable(svc, actor, action_id=action_id)
    await flows.save(svc, actor, EDIT_ACTION, {"action_id": action_id, "field": field})


async def edit_text(svc: Services, actor: Actor, text: str) -> EditStep:
    """The new date or words. Words that read as hard, in a review with a young person,
    are held back until the coordinator chooses; new words replace held ones."""
    data = await _pending(svc, actor, EDIT_ACTION)
    action_id = int(data["action_id"])
    if data["field"] == "change_due":
        due = parse_date(text[:100])
        if due is None:
            raise Invalid("bad_date")
        changed = await actions.edit_action(svc, actor, action_id=action_id, due_on=due)
    else:
        review_id = await actions.review_of_editable(svc, actor, action_id=action_id)
        what = actions.validate_what(text)
        hard = plain_words.check(what)
        if hard is not None and await actions.young_person_sees(svc, review_id):
            data["held"] = what
            await flows.save(svc, actor, EDIT_ACTION, data)
            return EditStep(action_id, hard=hard)
        changed = await actions.edit_action(svc, actor, action_id=action_id, what=what)
    await flows.clear(svc, actor)
    return EditStep(action_id, changed=changed)


async def keep_held_edit(svc: Services, actor: Actor, *, keep: bool) -> EditStep:
    """The coordinator's choice on new words that read as hard: keep them (the action
    changes) or write them again (the flow waits for new words)."""
    data = await _pending(svc, actor, EDIT_ACTION)
    if "held" not in data:
        raise Invalid("stale_button")
    action_id, held = int(data["action_id"]), str(data.pop("held"))
    if not keep:
        await actions.review_of_editable(svc, actor, action_id=action_id)
        await flows.save(svc, actor, EDIT_ACTION, data)
        return EditStep(action_id)
    changed = await actions.edit_action(svc, actor, action_id=action_id, what=held)
    await flows.clear(svc, actor)
    return EditStep(action_id, changed=changed)


# --- an owner's typed update or reason for help ------------------------------------------


async def ask_owner_text(
    svc: Services, actor: Actor, *, action_id: int, response: actions.Response, version: int
) -> actions.ActionView:
    """Check the owner may answer, then wait for their words."""
    view = await actions.check_may_respond(svc, actor, action_id=action_id, version=version)
    await flows.save(
        svc,
        actor,
        OWNER_TEXT,
        {"action_id": action_id, "response": str(response), "version": version},
    )
    return view


async def owner_text(
    svc: Services, actor: Actor, text: str
) -> tuple[actions.ActionView, actions.Response]:
    data = await _pending(svc, actor, OWNER_TEXT)
    response = actions.Response(data["response"])
    try:
        view = await actions.respond(
            svc,
            actor,
            action_id=int(data["action_id"]),
            response=response,
            version=int(data["version"]),
            text=text,
        )
    except Invalid as error:
        if error.key not in ("text_too_long", "update_empty", "help_reason_empty"):
            await flows.clear(svc, actor)  # the action moved on: stop waiting for words
        raise
    await flows.clear(svc, actor)
    return view, response


def as_date(value: object) -> date | None:
    return value if isinstance(value, date) else None


ROLES_FOR_NEW_OWNER = [r for r in Role if r is not Role.YOUNG_PERSON]
