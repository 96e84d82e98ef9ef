"""Seeding the store the bot will serve: many projects over many tenants, created through
`bot.app.build_runtime` and `ActivationService.create_project` (membership and channel
documents included), in the store the settings name (SQLite DATA_DIR or Cosmos DB).

The bench starts from a settled system: what creating a project owes people (task cards,
notes) counts as delivered, so the outbox is left empty, and every person has already talked
to the bot in a 1:1 chat (on the connector stand-in): `remember_user` stored what the handler
stores on a first contact.
What a click then costs is the click's own work and the deliveries it causes.

`clicks` are `adaptiveCard/action` invokes confirming distinct ready tasks with their
current rev, by a person who may confirm them, ordered round-robin over the projects.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import build_runtime
from bot.config import Settings
from bot.domain.authorization import Actor
from bot.domain.events import Event
from bot.domain.project import ConversationTarget, Person, Project, ProjectOptions, TaskState
from bot.domain.roles import Role
from bot.domain.transitions import spec_of
from bot.service import ActivationService, NewProjectRequest, utc_now
from bot.storage.contract import Store
from tests.support.teams_activities import Conversation, TeamsUser, card_action, message, personal

TIMEZONE = "America/New_York"
PRODUCT_MIX = (("cloud_voice_teams",), ("officeconnect_ucaas",), ("cloud_voice_teams", "officeconnect_ucaas"))


def tenant_id(index: int) -> str:
    return f"{index:08x}-7e57-4000-8000-000000000000"


def pm_id(tenant: int) -> str:
    return f"{tenant:08x}-0000-4000-8000-00000000a000"


def pm_ids(tenants: int) -> list[str]:
    return [pm_id(t) for t in range(tenants)]


def _person(tenant: int, role: str, serial: int, name: str) -> TeamsUser:
    aad = f"{tenant:08x}-{role}-4000-8000-{serial:012x}"
    return TeamsUser(f"29:{role}-{tenant}-{serial}", aad, name, tenant_id(tenant))


class _QuietStore:
    """The store as seeding sees it: what creation owes people counts as already delivered."""

    def __init__(self, inner: Store) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def create_project(self, project: Project, events: list[Event]) -> str:
        project.outbox.clear()
        return await self._inner.create_project(project, events)


@dataclass
class Seeded:
    project_ids: list[str] = field(default_factory=list)
    channels: dict[str, Conversation] = field(default_factory=dict)  # project id -> channel
    members: dict[str, TeamsUser] = field(default_factory=dict)  # project id -> a customer contact
    ready: dict[str, list[tuple[str, int, TeamsUser]]] = field(default_factory=dict)  # project -> (key, rev, who)

    def clicks(self, service_url: str, limit: int | None = None) -> list[dict[str, Any]]:
        """Confirm invokes for distinct ready tasks, round-robin over the projects."""
        out: list[dict[str, Any]] = []
        for project_id, key, rev, user in self._round_robin():
            out.append(card_action(user, personal(user), "confirm", {"p": project_id, "k": key, "r": rev}, service_url))
            if limit is not None and len(out) >= limit:
                break
        return out

    def click_targets(self, limit: int | None = None) -> list[tuple[str, str]]:
        return [(p, k) for p, k, _, _ in self._round_robin()][:limit]

    def _round_robin(self) -> Iterator[tuple[str, str, int, TeamsUser]]:
        depth = max((len(v) for v in self.ready.values()), default=0)
        for level in range(depth):
            for project_id in self.project_ids:
                tasks = self.ready.get(project_id, [])
                if level < len(tasks):
                    key, rev, user = tasks[level]
                    yield project_id, key, rev, user

    def status_requests(self, service_url: str, count: int, offset: int = 0) -> list[dict[str, Any]]:
        """"status" in each project's channel (by its customer contact), cycling the projects."""
        out = []
        for n in range(count):
            project_id = self.project_ids[(offset + n) % len(self.project_ids)]
            out.append(message(self.members[project_id], self.channels[project_id], "status", service_url))
        return out


async def seed(settings: Settings, *, count: int, tenants: int, service_url: str, start: int = 0,
               kickoff: date | None = None, now: datetime | None = None, next_digest_at: datetime | None = None) -> Seeded:
    """Create projects start..start+count-1 (project n belongs to tenant n % tenants)."""
    now = now or utc_now()
    kickoff = kickoff or (now - timedelta(days=3)).date()
    runtime = await build_runtime(settings, clock=lambda: now)
    store: Store = runtime.store
    service = runtime.service
    service.store = _QuietStore(store)  # type: ignore[assignment]
    seeded = Seeded()
    known_people: set[str] = set()
    try:
        for n in range(start, start + count):
            t = n % tenants
            tenant = tenant_id(t)
            pm = TeamsUser(f"29:pm-{t}", pm_id(t), f"PM {t}", tenant)
            contact = _person(t, "c001", n, f"Contact {n}")
            admin = _person(t, "c002", n, f"Admin {n}")
            signer = _person(t, "c003", n, f"Signer {n}")
            sales = _person(t, "b001", 0, f"Sales {t}")
            support = _person(t, "b002", 0, f"Support {t}")
            tech = _person(t, "b003", 0, f"Tech {t}")
            partner = _person(t, "b004", 0, f"Partner {t}")
            roles = {
                Role.PROVIDER_PM: pm, Role.CUSTOMER_PRIMARY_CONTACT: contact, Role.CUSTOMER_GLOBAL_ADMIN: admin,
                Role.CUSTOMER_ADMIN: admin, Role.AUTHORIZED_SIGNER: signer, Role.SALES_REP: sales,
                Role.SUPPORT_LEAD: support, Role.TECHNICIAN: tech, Role.PARTNER: partner,
            }
            channel = Conversation(f"19:bench-{n}@thread.tacv2", "channel", tenant, team_id=f"19:bench-{n}@thread.tacv2",
                                   channel_id=f"19:bench-{n}@thread.tacv2")
            request = NewProjectRequest(
                customer_name=f"Customer {n}",
                products=PRODUCT_MIX[n % len(PRODUCT_MIX)],
                options=ProjectOptions(porting=True, provider_circuit=n % 2 == 0, hardware=("none", "rented", "bought")[n % 3]),
                kickoff=kickoff,
                timezone=TIMEZONE,
                language="en",
                requested_port_date=kickoff + timedelta(days=45),
                people={role: [Person(u.aad_object_id, u.name, u.teams_id)] for role, u in roles.items()},
                channel=ConversationTarget(channel.id, service_url, tenant, team_id=channel.team_id),
            )
            actor = Actor(pm.aad_object_id, pm.name, tenant, is_staff_pm=True)
            project = await service.create_project(actor, request, tenant)
            if next_digest_at is not None:
                await _set_next_digest(store, project.id, next_digest_at)
            for user in {u.aad_object_id: u for u in roles.values()}.values():
                if user.aad_object_id not in known_people:
                    known_people.add(user.aad_object_id)
                    await _first_contact(service, user, service_url)
            seeded.project_ids.append(project.id)
            seeded.channels[project.id] = channel
            seeded.members[project.id] = contact
            seeded.ready[project.id] = _ready(project, runtime.library, roles)
    finally:
        await store.close()
    return seeded


async def _set_next_digest(store: Store, project_id: str, when: datetime) -> None:
    from bot.storage.contract import update_project

    def due(project: Project) -> None:
        project.next_digest_at = when

    await update_project(store, project_id, due, lambda _: [])


async def _first_contact(service: ActivationService, user: TeamsUser, service_url: str) -> None:
    """What the bot remembers from a person's first 1:1 turn, stored the way the handler
    stores it (so a later click from that chat rewrites nothing)."""
    tenant = user.tenant_id.lower()
    await service.remember_user(user.aad_object_id, tenant_id=tenant, language="en", timezone=TIMEZONE,
                                conversation=ConversationTarget(personal(user).id, service_url, tenant),
                                teams_id=user.teams_id)


def _ready(project: Project, library: Any, roles: dict[Role, TeamsUser]) -> list[tuple[str, int, TeamsUser]]:
    out = []
    for key, record in project.tasks.items():
        if record.state is not TaskState.READY:
            continue
        spec = spec_of(library, key)
        who = next((roles[r] for r in spec.confirmers if r in roles), None)
        if who is not None:
            out.append((key, record.rev, who))
    return out


def write_jsonl(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    return path
