"""How the status and digest answers grow with the size of a project.

Projects of 50, 200 and 500 tasks from synthetic playbooks (parsed and validated by
`bot.domain.playbook.parse_playbook`, as a PM's TOML file would be): phases of ten tasks
and a dependency tree (task i depends on task (i-1)//2, and every tenth task also on its
predecessor), owners rotating over the roles, a go-live and a deployment milestone and two
port-date rules. 40 % of the tasks are done (over the last two weeks), two are blocked,
the kickoff was 30 days ago so some are overdue.

Timed: building the answer as the bot sends it, i.e. `status_card(status_view(...))` and
`digest_card(digest_view(...))` plus the JSON encoding. The exponent b of time ~ tasks**b
comes from a least-squares fit on log-log; linear or better is b <= 1.1.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.authorization import Actor
from bot.domain.playbook import PlaybookLibrary, parse_playbook
from bot.domain.project import Person, Project, ProjectOptions, TaskState
from bot.domain.roles import Role
from bot.domain.transitions import new_project
from cards.digest import digest_card
from cards.status import status_card
from cards.views import digest_view, status_view
from tests.bench.common import Row, loglog_slope, row

SIZES = (50, 200, 500)
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
ROLES = ("customer_global_admin", "customer_primary_contact", "provider_pm", "technician", "customer_admin",
         "sales_rep", "authorized_signer", "support_lead", "partner")
PARTY = {"customer_global_admin": "customer", "customer_primary_contact": "customer", "customer_admin": "customer",
         "authorized_signer": "customer", "provider_pm": "provider", "technician": "provider", "sales_rep": "provider",
         "support_lead": "provider", "partner": "shared"}


def _text(words: str) -> dict[str, str]:
    return {"es": f"{words} (es)", "en": words}


def synthetic_playbook(tasks: int) -> PlaybookLibrary:
    phases = [{"id": f"phase_{p}", "title": _text(f"Phase {p}")} for p in range((tasks + 9) // 10)]
    raw_tasks: list[dict[str, Any]] = []
    for i in range(tasks):
        depends = [] if i == 0 else [f"t{(i - 1) // 2}"]
        if i % 10 == 0 and i > 1 and f"t{i - 1}" not in depends:
            depends.append(f"t{i - 1}")
        role = ROLES[i % len(ROLES)]
        task: dict[str, Any] = {
            "id": f"t{i}",
            "phase": f"phase_{i // 10}",
            "party": PARTY[role],
            "title": _text(f"Task number {i}"),
            "description": _text(f"What task {i} asks for, in a sentence or two of plain words."),
            "owners": [role],
            "depends_on": depends,
            "duration_days": 1 + i % 4,
        }
        if i == tasks - 1:
            task["milestone"] = "go_live"
        elif i == tasks // 2:
            task["milestone"] = "deployment"
        elif i in (3, 4):
            task["date_rule"] = {"kind": "before_port_date", "days": 21}
        raw_tasks.append(task)
    data = {"schema": 1, "id": f"synthetic_{tasks}", "name": _text(f"Synthetic {tasks}"), "phase": phases, "task": raw_tasks}
    playbook = parse_playbook(data, f"synthetic_{tasks}.toml")
    return PlaybookLibrary({playbook.id: playbook})


def synthetic_project(tasks: int) -> tuple[Project, PlaybookLibrary]:
    library = synthetic_playbook(tasks)
    pm = Actor("bench-pm", "Pat PM", "bench-tenant", is_staff_pm=True)
    people = {Role(role): [Person(f"person-{role}", f"Person {role}", f"29:{role}")] for role in ROLES}
    kickoff = (NOW - timedelta(days=30)).date()
    project, _ = new_project(library, actor=pm, customer_name="Scaling Co", tenant_id="bench-tenant",
                             products=library.ids(), options=ProjectOptions(porting=True), kickoff=kickoff,
                             timezone="America/Chicago", language="en", now=NOW - timedelta(days=30),
                             requested_port_date=kickoff + timedelta(days=60), people=people)
    keys = list(project.tasks)
    done = set(keys[: int(len(keys) * 0.4)])
    for n, key in enumerate(keys):
        record = project.tasks[key]
        if key in done:
            record.state = TaskState.DONE
            record.done_at = NOW - timedelta(hours=1 + (n * 7) % 330)
            record.changed_at = record.done_at
            record.changed_by_name = "Person"
    for key in keys:
        record = project.tasks[key]
        if key in done:
            continue
        index = int(key.rsplit(":t", 1)[1])
        parents = [f"{key.split(':')[0]}:t{(index - 1) // 2}"] if index else []
        record.state = TaskState.READY if all(p in done for p in parents) else TaskState.WAITING
    blocked = [k for k in keys if project.tasks[k].state is TaskState.READY][:2]
    for key in blocked:
        record = project.tasks[key]
        record.state = TaskState.BLOCKED
        record.blocked_reason = "Waiting for the carrier"
        record.blocked_since = NOW - timedelta(days=2)
    return project, library


def _time(build: Callable[[], dict[str, Any]], budget: float) -> float:
    """Median seconds per answer over repeated builds for about `budget` seconds."""
    build()
    samples: list[float] = []
    started = time.perf_counter()
    while time.perf_counter() - started < budget or len(samples) < 5:
        t0 = time.perf_counter()
        json.dumps(build())
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def run(quick: bool) -> list[Row]:
    budget = 0.4 if quick else 2.0
    rows: list[Row] = []
    for answer in ("status", "digest"):
        times: list[float] = []
        for size in SIZES:
            project, library = synthetic_project(size)

            def build(project: Project = project, library: PlaybookLibrary = library) -> dict[str, Any]:
                if answer == "status":
                    return status_card(status_view(project, library, language="en", now=NOW))
                return digest_card(digest_view(project, library, language="en", now=NOW))

            seconds = _time(build, budget)
            times.append(seconds)
            rows.append(row(f"answer.{answer}.tasks_{size}", seconds * 1000, "ms"))
        slope = loglog_slope(SIZES, times)
        rows.append(row(f"answer.{answer}.growth_exponent", slope, "exponent", target="<= 1.1", met=slope <= 1.1))
        rows.append(row(f"answer.{answer}.per_task", times[-1] / SIZES[-1] * 1e6, "us/task"))
    return rows
