"""A customer's activation project: who is who, its options, and the state of every task.

A project is read and written whole (one document); `to_dict`/`from_dict` are the only
serialisation the stores use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any, Literal

from bot.domain.documents import DocumentUpload
from bot.domain.plan_model import PlanState
from bot.domain.playbook import Condition, Playbook, PlaybookLibrary, TaskSpec
from bot.domain.porting import PortBook
from bot.domain.roles import Role
from bot.domain.text import Language, parse_language

HardwareOption = Literal["none", "rented", "bought"]


class TaskState(StrEnum):
    WAITING = "waiting"  # dependencies not met yet
    READY = "ready"
    DONE = "done"
    BLOCKED = "blocked"
    NOT_APPLICABLE = "not_applicable"
    REOPENED = "reopened"

    @property
    def is_open(self) -> bool:
        """Work is expected of the owners now."""
        return self in (TaskState.READY, TaskState.REOPENED, TaskState.BLOCKED)

    @property
    def is_closed(self) -> bool:
        """The task no longer holds anything up."""
        return self in (TaskState.DONE, TaskState.NOT_APPLICABLE)


@dataclass(frozen=True, slots=True)
class Person:
    """Someone on a project. `id` is the Entra object id; `teams_id` the Teams user id (29:...)."""

    id: str
    name: str
    teams_id: str | None = None
    tenant_id: str = ""  # their home tenant; "" (documents before issue 15): the project's host tenant

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "name": self.name, "teamsId": self.teams_id}
        if self.tenant_id:
            body["tenantId"] = self.tenant_id
        return body

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Person:
        return Person(id=data["id"], name=data["name"], teams_id=data.get("teamsId"), tenant_id=data.get("tenantId") or "")


@dataclass(frozen=True, slots=True)
class ProjectOptions:
    porting: bool = False
    provider_circuit: bool = False
    hardware: HardwareOption = "none"

    def includes(self, condition: Condition | None) -> bool:
        if condition is None:
            return True
        if condition is Condition.PORTING:
            return self.porting
        if condition is Condition.PROVIDER_CIRCUIT:
            return self.provider_circuit
        return self.hardware != "none"

    def to_dict(self) -> dict[str, Any]:
        return {"porting": self.porting, "providerCircuit": self.provider_circuit, "hardware": self.hardware}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> ProjectOptions:
        return ProjectOptions(
            porting=bool(data.get("porting")),
            provider_circuit=bool(data.get("providerCircuit")),
            hardware=data.get("hardware", "none"),
        )


@dataclass(frozen=True, slots=True)
class CardCopy:
    """Where one copy of a task's card was posted, so every copy can be updated."""

    conversation_id: str
    activity_id: str
    tenant_id: str = ""  # the conversation's tenant when not the host's (a customer's own 1:1 chat)

    def to_dict(self) -> dict[str, str]:
        body = {"conversationId": self.conversation_id, "activityId": self.activity_id}
        if self.tenant_id:
            body["tenantId"] = self.tenant_id
        return body

    @staticmethod
    def from_dict(data: dict[str, Any]) -> CardCopy:
        return CardCopy(conversation_id=data["conversationId"], activity_id=data["activityId"], tenant_id=data.get("tenantId") or "")


def task_key(playbook_id: str, task_id: str) -> str:
    return f"{playbook_id}:{task_id}"


@dataclass(slots=True)
class TaskRecord:
    key: str
    state: TaskState = TaskState.WAITING
    rev: int = 0  # bumped on every change; cards carry it so a stale click changes nothing
    ready_at: datetime | None = None
    done_at: datetime | None = None
    changed_at: datetime | None = None
    changed_by: str | None = None
    changed_by_name: str | None = None
    on_behalf: bool = False
    blocked_reason: str | None = None
    blocked_since: datetime | None = None
    # A tuple, not a list: most tasks have none, and the empty tuple is one shared object that
    # the garbage collector does not track (a list per task doubled what each project copy
    # held for it to scan; docs/performance.md, finding 13).
    card_copies: tuple[CardCopy, ...] = ()

    @property
    def playbook_id(self) -> str:
        return self.key.split(":", 1)[0]

    @property
    def task_id(self) -> str:
        return self.key.split(":", 1)[1]

    # A project's every read and write (de)serialises all its tasks, so these two are written
    # for speed: no helper calls for absent dates, positional construction, a state lookup table.
    def to_dict(self) -> dict[str, Any]:
        ready, done, changed, blocked = self.ready_at, self.done_at, self.changed_at, self.blocked_since
        return {
            "key": self.key,
            "state": self.state._value_,
            "rev": self.rev,
            "readyAt": ready.isoformat() if ready else None,
            "doneAt": done.isoformat() if done else None,
            "changedAt": changed.isoformat() if changed else None,
            "changedBy": self.changed_by,
            "changedByName": self.changed_by_name,
            "onBehalf": self.on_behalf,
            "blockedReason": self.blocked_reason,
            "blockedSince": blocked.isoformat() if blocked else None,
            "cardCopies": [{"conversationId": c.conversation_id, "activityId": c.activity_id,
                            **({"tenantId": c.tenant_id} if c.tenant_id else {})}
                           for c in self.card_copies] if self.card_copies else [],
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> TaskRecord:
        get = data.get
        ready, done, changed, blocked, copies = (get("readyAt"), get("doneAt"), get("changedAt"), get("blockedSince"),
                                                 get("cardCopies"))
        return TaskRecord(
            data["key"],
            _TASK_STATES[data["state"]],
            int(get("rev", 0)),
            _from_iso(ready) if ready else None,
            _from_iso(done) if done else None,
            _from_iso(changed) if changed else None,
            get("changedBy"),
            get("changedByName"),
            bool(get("onBehalf")),
            get("blockedReason"),
            _from_iso(blocked) if blocked else None,
            tuple(CardCopy(c["conversationId"], c["activityId"], c.get("tenantId") or "") for c in copies) if copies else (),
        )


@dataclass(frozen=True, slots=True)
class ConversationTarget:
    """A conversation the bot can post to proactively."""

    conversation_id: str
    service_url: str
    tenant_id: str
    channel_id: str = "msteams"
    team_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "conversationId": self.conversation_id,
            "serviceUrl": self.service_url,
            "tenantId": self.tenant_id,
            "channelId": self.channel_id,
            "teamId": self.team_id,
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> ConversationTarget:
        return ConversationTarget(
            conversation_id=data["conversationId"],
            service_url=data["serviceUrl"],
            tenant_id=data["tenantId"],
            channel_id=data.get("channelId", "msteams"),
            team_id=data.get("teamId"),
        )


@dataclass(frozen=True, slots=True)
class DigestSchedule:
    weekday: int = 0  # Monday
    at: time = time(9, 0)

    def to_dict(self) -> dict[str, Any]:
        return {"weekday": self.weekday, "at": self.at.strftime("%H:%M")}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> DigestSchedule:
        return DigestSchedule(weekday=int(data.get("weekday", 0)), at=time.fromisoformat(data.get("at", "09:00")))


class OutboxKind(StrEnum):
    """What an outbox item is: a message rendered at send time from the project's state then,
    or a job the delivery runs (`is_job`)."""

    TASK_CARD = "task_card"  # a ready task, to each owner and the channel
    BLOCKED_ALERT = "blocked_alert"  # a blocked task, to the PMs
    CHANNEL_NOTE = "channel_note"  # who changed what, in the channel
    CARD_UPDATE = "card_update"  # every sent copy of a task's card, redrawn
    DUE_DATES = "due_dates"  # a person's new due dates after the FOC or port date moved
    DATES_MOVED = "dates_moved"  # the same, for the channel
    DIGEST = "digest"
    COMPLETION_REPORT = "completion_report"
    UNREACHABLE_NOTICE = "unreachable_notice"  # to a PM: someone cannot be reached
    LICENCE_CHECK = "licensing_check"  # a job: reads the tenant's licences through Graph
    DOCUMENT_REVIEW = "document_review"  # an upload, to each PM to accept or reject
    DOCUMENT_REJECTED = "document_rejected"  # a rejected upload, back to its uploader with the reason
    PORT_REJECTION = "port_rejection"  # a rejected port order, to whoever must fix it
    PORT_CUTOVER = "port_cutover"  # the day before and the day of a port order's FOC
    PLAN_CHANGED = "plan_changed"  # to a person: a PM changed a task of theirs (bot/domain/plan.py)
    QUESTION = "question"  # to a person: a question (or its answer) on a task (bot/domain/questions.py)

    @property
    def is_job(self) -> bool:
        return self is OutboxKind.LICENCE_CHECK


class TargetKind(StrEnum):
    CHANNEL = "channel"  # the project's channel
    PERSON = "user"  # one person, in their 1:1 chat
    CARD_COPIES = "copies"  # wherever a task's card was sent
    NOBODY = "job"  # a job sends nothing itself


@dataclass(frozen=True, slots=True)
class Target:
    """Whom an outbox item is for; stored as "channel", "user:<entra id>", "copies" or "job"."""

    kind: TargetKind
    person_id: str = ""

    @staticmethod
    def person(person_id: str) -> Target:
        return Target(TargetKind.PERSON, person_id)

    def encode(self) -> str:
        return f"user:{self.person_id}" if self.kind is TargetKind.PERSON else self.kind.value

    @staticmethod
    def decode(value: str) -> Target:
        if value.startswith("user:"):
            return Target.person(value.removeprefix("user:"))
        return Target(TargetKind(value))


CHANNEL_TARGET = Target(TargetKind.CHANNEL)
CARD_COPIES_TARGET = Target(TargetKind.CARD_COPIES)
NO_TARGET = Target(TargetKind.NOBODY)


@dataclass(slots=True)
class OutboxItem:
    """Something the project owes, recorded in the same write as the change that caused it.
    The id says what makes it unique, so owing it again (a retried decision) adds nothing."""

    id: str
    kind: OutboxKind
    target: Target
    created_at: datetime
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "target": self.target.encode(),
            "createdAt": _dt(self.created_at),
            "params": self.params,
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> OutboxItem:
        created = _parse_dt(data["createdAt"])
        assert created is not None
        return OutboxItem(
            id=data["id"],
            kind=OutboxKind(data["kind"]),
            target=Target.decode(data["target"]),
            created_at=created,
            params=dict(data.get("params", {})),
        )


@dataclass(slots=True)
class Project:
    id: str
    tenant_id: str
    customer_name: str
    products: tuple[str, ...]
    options: ProjectOptions
    kickoff: date
    timezone: str
    language: Language
    created_at: datetime
    created_by: str
    requested_port_date: date | None = None
    target_go_live: date | None = None
    foc_date: date | None = None
    foc_received_at: datetime | None = None
    people: dict[Role, list[Person]] = field(default_factory=dict)
    channel: ConversationTarget | None = None
    tasks: dict[str, TaskRecord] = field(default_factory=dict)
    digest: DigestSchedule = field(default_factory=DigestSchedule)
    event_seq: int = 0
    outbox: list[OutboxItem] = field(default_factory=list)
    completed_at: datetime | None = None
    last_digest_week: str | None = None
    last_forecast: dict[str, str] = field(default_factory=dict)  # dates shown in the last digest
    next_digest_at: datetime | None = None
    # When the reminder pass should look at this project next (indexed by the stores). A
    # recorded change makes it due at once, `plan_notifications` narrows that to the start of
    # the first local day with a reminder line, and the pass moves it past the people it has
    # reminded. None: nothing to remind about until a change.
    next_reminder_at: datetime | None = None
    outbox_lease_owner: str | None = None  # the bot instance delivering this outbox now
    outbox_lease_until: datetime | None = None
    documents: list[DocumentUpload] = field(default_factory=list)  # every upload of every task, oldest first
    port_book: PortBook = field(default_factory=PortBook)  # number porting orders (bot/domain/porting.py)
    pm_plan: PlanState = field(default_factory=PlanState)  # the PM's plan changes and task questions

    # -- who is who -------------------------------------------------------------------
    def roles_of(self, person_id: str) -> frozenset[Role]:
        return frozenset(role for role, people in self.people.items() if any(p.id == person_id for p in people))

    def people_in(self, roles: tuple[Role, ...] | frozenset[Role]) -> list[Person]:
        seen: dict[str, Person] = {}
        for role in roles:
            for person in self.people.get(role, []):
                seen.setdefault(person.id, person)
        return list(seen.values())

    def person(self, person_id: str) -> Person | None:
        for people in self.people.values():
            for person in people:
                if person.id == person_id:
                    return person
        return None

    def is_pm(self, person_id: str) -> bool:
        return Role.PROVIDER_PM in self.roles_of(person_id)

    @property
    def pm_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.people.get(Role.PROVIDER_PM, []))

    def home_tenant(self, person: Person) -> str:
        """A person's home tenant: their own, or the host's for people recorded before issue 15."""
        return person.tenant_id or self.tenant_id

    def tenants(self) -> frozenset[str]:
        """The host tenant and every assigned person's home tenant."""
        return frozenset({self.tenant_id, *(self.home_tenant(p) for ps in self.people.values() for p in ps)})

    def roles_of_in(self, tenant_id: str, person_id: str) -> frozenset[Role]:
        """The roles of the person (home tenant, object id): an id from another tenant holds none."""
        return frozenset(role for role, people in self.people.items()
                         if any(p.id == person_id and self.home_tenant(p) == tenant_id for p in people))

    # -- tasks ------------------------------------------------------------------------
    def included_specs(self, library: PlaybookLibrary) -> list[tuple[Playbook, TaskSpec]]:
        """Every task of the project's playbooks whose phase its options include, in order."""
        result: list[tuple[Playbook, TaskSpec]] = []
        for product in self.products:
            playbook = library[product]
            included = {p.id for p in playbook.phases if self.options.includes(p.condition)}
            result.extend((playbook, spec) for spec in playbook.tasks if spec.phase in included)
        return result

    def is_complete(self) -> bool:
        return bool(self.tasks) and all(t.state.is_closed for t in self.tasks.values())

    def next_event_id(self) -> tuple[str, int]:
        self.event_seq += 1
        return f"{self.id}:{self.event_seq:06d}", self.event_seq

    def owe(self, item: OutboxItem) -> bool:
        """Add the item to the outbox unless one with its id is owed already; True if added."""
        if any(owed.id == item.id for owed in self.outbox):
            return False
        self.outbox.append(item)
        return True

    # -- serialisation ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "projectId": self.id,
            "type": "project",
            "tenantId": self.tenant_id,
            "customerName": self.customer_name,
            "products": list(self.products),
            "options": self.options.to_dict(),
            "kickoff": self.kickoff.isoformat(),
            "timezone": self.timezone,
            "language": self.language,
            "createdAt": _dt(self.created_at),
            "createdBy": self.created_by,
            "requestedPortDate": _d(self.requested_port_date),
            "targetGoLive": _d(self.target_go_live),
            "focDate": _d(self.foc_date),
            "focReceivedAt": _dt(self.foc_received_at),
            "people": {role.value: [p.to_dict() for p in people] for role, people in self.people.items()},
            "pmIds": list(self.pm_ids),
            "channel": self.channel.to_dict() if self.channel else None,
            "tasks": [t.to_dict() for t in self.tasks.values()],
            "digest": self.digest.to_dict(),
            "eventSeq": self.event_seq,
            "outbox": [o.to_dict() for o in self.outbox],
            "completedAt": _dt(self.completed_at),
            "lastDigestWeek": self.last_digest_week,
            "lastForecast": dict(self.last_forecast),
            "nextDigestAt": _dt(self.next_digest_at),
            # UTC, so the stores can compare it as text with a UTC instant.
            "nextReminderAt": _dt(self.next_reminder_at.astimezone(UTC)) if self.next_reminder_at else None,
            "outboxLease": {"owner": self.outbox_lease_owner, "until": _dt(self.outbox_lease_until)},
            "porting": self.port_book.to_dict() if self.port_book.orders else None,
            # Derived fields the stores index for listing queries.
            "outboxCount": len(self.outbox),
            "active": self.completed_at is None,
            "documents": [d.to_dict() for d in self.documents],
            "pmPlan": self.pm_plan.to_dict(),
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Project:
        created = _parse_dt(data["createdAt"])
        assert created is not None
        tasks = [TaskRecord.from_dict(t) for t in data.get("tasks", [])]
        return Project(
            id=data["id"],
            tenant_id=data["tenantId"],
            customer_name=data["customerName"],
            products=tuple(data["products"]),
            options=ProjectOptions.from_dict(data.get("options", {})),
            kickoff=date.fromisoformat(data["kickoff"]),
            timezone=data["timezone"],
            language=parse_language(data.get("language")),
            created_at=created,
            created_by=data["createdBy"],
            requested_port_date=_parse_d(data.get("requestedPortDate")),
            target_go_live=_parse_d(data.get("targetGoLive")),
            foc_date=_parse_d(data.get("focDate")),
            foc_received_at=_parse_dt(data.get("focReceivedAt")),
            people={Role(r): [Person.from_dict(p) for p in ps] for r, ps in data.get("people", {}).items()},
            channel=ConversationTarget.from_dict(data["channel"]) if data.get("channel") else None,
            tasks={t.key: t for t in tasks},
            digest=DigestSchedule.from_dict(data.get("digest", {})),
            event_seq=int(data.get("eventSeq", 0)),
            outbox=[OutboxItem.from_dict(o) for o in data.get("outbox", [])],
            completed_at=_parse_dt(data.get("completedAt")),
            last_digest_week=data.get("lastDigestWeek"),
            last_forecast=dict(data.get("lastForecast", {})),
            next_digest_at=_parse_dt(data.get("nextDigestAt")),
            next_reminder_at=_parse_dt(data.get("nextReminderAt")),
            outbox_lease_owner=(data.get("outboxLease") or {}).get("owner"),
            outbox_lease_until=_parse_dt((data.get("outboxLease") or {}).get("until")),
            documents=[DocumentUpload.from_dict(d) for d in data.get("documents") or []],
            port_book=PortBook.from_dict(data.get("porting")),
            pm_plan=PlanState.from_dict(data.get("pmPlan")),
        )


def _dt(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


_TASK_STATES = {state.value: state for state in TaskState}
_from_iso = datetime.fromisoformat


def _parse_dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _d(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _parse_d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
