"""What the bot owes people after a change: outbox items written in the same project write
as the change itself, so a crash can lose neither the change nor the messages it causes."""

from __future__ import annotations

from datetime import datetime

from bot.domain.plan import task_owners
from bot.domain.playbook import PlaybookLibrary
from bot.domain.project import CARD_COPIES_TARGET, CHANNEL_TARGET, NO_TARGET, OutboxItem, OutboxKind, Project, Target
from bot.domain.schedule import Schedule, first_reminder_at
from bot.domain.transitions import Change

DATE_EVENTS = ("foc_set", "port_date_moved")
LICENSING_PREFIX = "licensing."  # the Cloud Voice licensing phase: checked through Microsoft Graph


def plan_notifications(project: Project, library: PlaybookLibrary, change: Change, now: datetime,
                       schedule: Schedule | None = None) -> list[OutboxItem]:
    """Append to the project's outbox what this change should tell whom; returns the new items.
    `schedule`: the changed project's schedule at `now`, when the caller has it already."""
    if not change.events:
        return []
    # Reminders are owed later: the reminder pass loads the project from this moment on (the
    # change itself made it due at once; the exact moment spares the pass a load and a write).
    project.next_reminder_at = first_reminder_at(project, library, now, schedule)
    anchor = change.events[0].id
    items: list[OutboxItem] = []

    def add(kind: OutboxKind, target: Target, **params: object) -> None:
        item = OutboxItem(id=f"{anchor}:{kind.value}:{target.encode()}:{params.get('key', '')}", kind=kind,
                          target=target, created_at=now, params=dict(params))
        if project.owe(item):
            items.append(item)

    for key in change.changed:
        record = project.tasks[key]
        if record.card_copies:
            add(OutboxKind.CARD_UPDATE, CARD_COPIES_TARGET, key=key)
    for key in change.became_ready:
        for person in task_owners(project, library, key):
            add(OutboxKind.TASK_CARD, Target.person(person.id), key=key)
        if project.channel is not None:
            add(OutboxKind.TASK_CARD, CHANNEL_TARGET, key=key)
    if any(key.split(":", 1)[1].startswith(LICENSING_PREFIX) for key in change.became_ready):
        add(OutboxKind.LICENCE_CHECK, NO_TARGET, key=anchor)
    acted = [e for e in change.events if e.kind == "task_changed" and e.data.get("action") != "flow"]
    if project.channel is not None and (acted or change.became_ready):
        changes = [{"actor": e.actor_name, "key": e.task_key, "state": e.to_state, "onBehalf": e.on_behalf} for e in acted]
        add(OutboxKind.CHANNEL_NOTE, CHANNEL_TARGET, key=anchor, changes=changes, ready=list(change.became_ready))
    for event in acted:
        if event.to_state == "blocked":
            for pm_id in project.pm_ids:
                if pm_id != event.actor_id:
                    add(OutboxKind.BLOCKED_ALERT, Target.person(pm_id), key=event.task_key or "")
    if any(e.kind in DATE_EVENTS for e in change.events):
        if project.channel is not None:
            add(OutboxKind.DATES_MOVED, CHANNEL_TARGET, key=anchor)
        owners = {p.id for key, record in project.tasks.items() if record.state.is_open
                  for p in task_owners(project, library, key)}
        for person_id in sorted(owners):
            add(OutboxKind.DUE_DATES, Target.person(person_id), key=anchor)
    if change.completed:
        for pm_id in project.pm_ids:
            add(OutboxKind.COMPLETION_REPORT, Target.person(pm_id), key=project.id)
    return items
