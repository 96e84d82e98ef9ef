"""`python -m bot demo`: a sample Cloud Voice for Teams project with porting, part done, one
task blocked and one overdue, in the configured store. Its PM is the Agents Playground's
default user, so a newcomer can click through it at once."""

from __future__ import annotations

from datetime import timedelta

from bot.app import open_store
from bot.config import Settings
from bot.domain.authorization import Action, Actor
from bot.domain.playbook import load_playbooks
from bot.domain.project import Person, ProjectOptions
from bot.domain.roles import Role
from bot.domain.transitions import apply_task_action, new_project, spec_of
from bot.service import utc_now
from bot.storage.contract import user_key

PLAYGROUND_TENANT = "00000000-0000-0000-0000-0000000000001"
PLAYGROUND_PM = Person("00000000-0000-0000-0000-0000000000020", "Alex Wilber", "user-id-0")
PLAYGROUND_CUSTOMER = Person("00000000-0000-0000-0000-0000000000021", "Megan Bowen", "user-id-1")
PLAYGROUND_ADMIN = Person("00000000-0000-0000-0000-0000000000022", "Adele Vance", "user-id-2")


async def seed_demo(settings: Settings, pm_id: str = "") -> str:
    library = load_playbooks()
    pm_person = Person(pm_id, "PM") if pm_id else PLAYGROUND_PM
    pm = Actor(pm_person.id, pm_person.name, PLAYGROUND_TENANT, is_staff_pm=True)
    now = utc_now()
    kickoff = (now - timedelta(days=10)).date()
    project, change = new_project(
        library,
        actor=pm,
        customer_name="Contoso Demo",
        tenant_id=PLAYGROUND_TENANT,
        products=("cloud_voice_teams",),
        options=ProjectOptions(porting=True, hardware="bought"),
        kickoff=kickoff,
        timezone="America/New_York",
        language="en",
        now=now - timedelta(days=10),
        requested_port_date=kickoff + timedelta(days=30),
        people={
            Role.PROVIDER_PM: [pm_person],
            Role.CUSTOMER_PRIMARY_CONTACT: [PLAYGROUND_CUSTOMER],
            Role.CUSTOMER_GLOBAL_ADMIN: [PLAYGROUND_ADMIN],
            Role.CUSTOMER_ADMIN: [PLAYGROUND_ADMIN],
            Role.AUTHORIZED_SIGNER: [PLAYGROUND_CUSTOMER],
            Role.SUPPORT_LEAD: [pm_person],
        },
    )
    events = list(change.events)
    customer = Actor(PLAYGROUND_CUSTOMER.id, PLAYGROUND_CUSTOMER.name, PLAYGROUND_TENANT)
    admin = Actor(PLAYGROUND_ADMIN.id, PLAYGROUND_ADMIN.name, PLAYGROUND_TENANT)
    ready = [k for k, r in project.tasks.items() if r.state.value == "ready"]
    # Part done: the licensing checks and the onboarding login.
    for key in ready:
        if ":licensing." in key or key.endswith("onboarding.login"):
            actor = admin if ":licensing." in key else customer
            spec = spec_of(library, key, project)
            who = actor if project.roles_of(actor.id) & set(spec.confirmers) else pm
            verb = Action.CONFIRM if who is not pm else Action.CONFIRM_ON_BEHALF
            events += apply_task_action(project, library, actor=who, action=verb, key=key, now=now - timedelta(days=8)).events
    open_keys = [k for k, r in project.tasks.items() if r.state.value == "ready"]
    # One blocked: the first open customer task the admin owns, or any.
    blocked = next((k for k in open_keys if project.roles_of(admin.id) & set(spec_of(library, k, project).owners)), open_keys[0])
    events += apply_task_action(project, library, actor=pm, action=Action.BLOCK, key=blocked, now=now - timedelta(days=2),
                                reason="Waiting for the customer's Microsoft 365 admin to approve licences").events
    project.outbox.clear()  # the demo starts quiet: nothing owed to anyone yet
    store = await open_store(settings)
    try:
        await store.create_project(project, events)
        for person in {p.id: p for ps in project.people.values() for p in ps}.values():
            await store.write_document(user_key("member", person.id), {"projectIds": [project.id]})
    finally:
        await store.close()
    return project.id

