"""Date rules from the source: CSR 3 weeks before the port date, numbers within 24 hours of
the FOC, billing on the 1st of the month after deployment; month ends and DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.playbook import DateRuleKind, Milestone
from bot.domain.project import Person, ProjectOptions, TaskState
from bot.domain.roles import Role
from bot.domain.schedule import (
    Health,
    compute_schedule,
    end_of_local_day,
    first_invoice_date,
    first_of_next_month,
    health,
    overdue_tasks,
    waiting_on,
)
from bot.domain.transitions import move_port_date, new_project, set_foc_date
from tests.conftest import TENANT, pm_actor

NY = ZoneInfo("America/New_York")


def teams_project(library, now, port: date, timezone: str = "America/New_York"):
    people = {Role.CUSTOMER_PRIMARY_CONTACT: [Person("c", "Cam")], Role.CUSTOMER_GLOBAL_ADMIN: [Person("g", "Gil")]}
    project, _ = new_project(library, actor=pm_actor(), customer_name="Acme", tenant_id=TENANT, products=("cloud_voice_teams",),
                             options=ProjectOptions(porting=True), kickoff=now.date(), timezone=timezone, language="en",
                             now=now, requested_port_date=port, people=people)
    return project


def rule_task(library, kind: DateRuleKind) -> str:
    spec = next(t for t in library["cloud_voice_teams"].tasks if t.date_rule and t.date_rule.kind is kind)
    return f"cloud_voice_teams:{spec.id}"


@pytest.mark.parametrize(("day", "expected"), [
    (date(2026, 1, 31), date(2026, 2, 1)), (date(2026, 2, 28), date(2026, 3, 1)), (date(2028, 2, 29), date(2028, 3, 1)),
    (date(2026, 12, 31), date(2027, 1, 1)), (date(2026, 6, 1), date(2026, 7, 1)), (date(2026, 4, 30), date(2026, 5, 1)),
])
def test_first_of_next_month(day: date, expected: date) -> None:
    assert first_of_next_month(day) == expected


def test_billing_follows_the_customers_local_day() -> None:
    # 02:30 UTC on 1 Feb is still 31 Jan in New York: billing starts 1 Feb, not 1 Mar.
    assert first_invoice_date(datetime(2026, 2, 1, 2, 30, tzinfo=UTC), NY) == date(2026, 2, 1)
    # The same instant in Madrid is 1 Feb: billing starts 1 Mar.
    assert first_invoice_date(datetime(2026, 2, 1, 2, 30, tzinfo=UTC), ZoneInfo("Europe/Madrid")) == date(2026, 3, 1)
    # New Year's Eve, late evening in New York.
    assert first_invoice_date(datetime(2027, 1, 1, 4, 0, tzinfo=UTC), NY) == date(2027, 1, 1)


def test_csr_due_three_weeks_before_the_requested_port_date(library, now) -> None:
    port = date(2027, 1, 15)
    project = teams_project(library, now, port)
    schedule = compute_schedule(project, library, now)
    assert schedule.dates[rule_task(library, DateRuleKind.BEFORE_PORT_DATE)].planned_due == date(2026, 12, 25)


def test_moving_the_port_date_moves_the_csr_due_date(library, now) -> None:
    project = teams_project(library, now, date(2027, 1, 15))
    move_port_date(project, library, actor=pm_actor(), port_date=date(2027, 2, 1), now=now)
    schedule = compute_schedule(project, library, now)
    assert schedule.dates[rule_task(library, DateRuleKind.BEFORE_PORT_DATE)].planned_due == date(2027, 1, 11)


def test_numbers_due_24_hours_after_the_foc_is_received_across_dst(library) -> None:
    # DST ends in New York on 1 Nov 2026 at 02:00: 24 hours after 00:30 EDT is 23:30 EST the same calendar day.
    received = datetime(2026, 11, 1, 0, 30, tzinfo=NY).astimezone(UTC)
    project = teams_project(library, received - timedelta(days=5), date(2026, 11, 20))
    set_foc_date(project, library, actor=pm_actor(), foc_date=date(2026, 11, 20), now=received)
    due = compute_schedule(project, library, received).dates[rule_task(library, DateRuleKind.AFTER_FOC_RECEIVED)]
    assert due.due_at == received + timedelta(hours=24)
    assert due.due_at.astimezone(NY).replace(tzinfo=None) == datetime(2026, 11, 1, 23, 30)
    assert due.planned_due == date(2026, 11, 1)


def test_by_port_date_follows_the_foc_once_known(library, now) -> None:
    project = teams_project(library, now, date(2027, 1, 15))
    key = rule_task(library, DateRuleKind.BY_PORT_DATE)
    assert compute_schedule(project, library, now).dates[key].planned_due == date(2027, 1, 15)
    set_foc_date(project, library, actor=pm_actor(), foc_date=date(2027, 1, 22), now=now)
    assert compute_schedule(project, library, now).dates[key].planned_due == date(2027, 1, 22)


def test_due_moment_is_end_of_local_day_through_dst() -> None:
    # 8 March 2026: clocks spring forward in New York; the day is 23 hours long.
    assert end_of_local_day(date(2026, 3, 7), NY) == datetime(2026, 3, 8, 4, 59, 59, tzinfo=UTC)
    assert end_of_local_day(date(2026, 3, 8), NY) == datetime(2026, 3, 9, 3, 59, 59, tzinfo=UTC)


def test_overdue_counted_in_local_days(library, now) -> None:
    project = teams_project(library, now, date(2027, 3, 1))
    schedule = compute_schedule(project, library, now)
    key = next(k for k, r in project.tasks.items() if r.state is TaskState.READY)
    due = schedule.dates[key].planned_due
    just_before = end_of_local_day(due, NY) - timedelta(seconds=1)
    assert key not in {o.key for o in overdue_tasks(project, schedule, just_before)}
    three_days_later = end_of_local_day(due + timedelta(days=3), NY) - timedelta(hours=1)
    late = {o.key: o.days_late for o in overdue_tasks(project, compute_schedule(project, library, three_days_later), three_days_later)}
    assert late[key] == 3


def test_forecast_slips_when_work_is_late_and_health_follows(library, now) -> None:
    project = teams_project(library, now, date(2027, 3, 1))
    on_time = compute_schedule(project, library, now)
    assert health(project, on_time, now) in (Health.ON_TRACK, Health.AT_RISK)
    later = now + timedelta(days=100)  # past the port date: nothing absorbs the delay any more
    slipped = compute_schedule(project, library, later)
    assert slipped.forecast_go_live > on_time.forecast_go_live
    assert health(project, slipped, later) is Health.LATE


def test_deployment_sets_the_first_invoice(library, now) -> None:
    project = teams_project(library, now, date(2027, 3, 1))
    deployment = next(t for t in library["cloud_voice_teams"].tasks if t.milestone is Milestone.DEPLOYMENT)
    key = f"cloud_voice_teams:{deployment.id}"
    project.tasks[key].state = TaskState.DONE
    project.tasks[key].done_at = datetime(2026, 12, 31, 23, 0, tzinfo=NY)
    assert compute_schedule(project, library, now).first_invoice == date(2027, 1, 1)


def test_waiting_on_splits_customer_and_provider(library, now) -> None:
    project = teams_project(library, now, date(2027, 3, 1))
    sides = waiting_on(project, library)
    parties = {k: library["cloud_voice_teams"].task(k.split(":")[1]).party for k in sides["customer"]}
    assert sides["customer"] and set(parties.values()) <= {"customer", "shared"}
    assert all(library["cloud_voice_teams"].task(k.split(":")[1]).party in ("provider", "shared") for k in sides["provider"])


def test_a_library_reused_for_different_task_sets_schedules_each_like_a_fresh_one(library, now) -> None:
    # The dependency order is worked out once per set of tasks and kept on the library: projects
    # with other products or options (other task sets) must not get another project's order.
    from bot.domain.playbook import load_playbooks

    with_porting = teams_project(library, now, date(2026, 12, 14))
    without, _ = new_project(library, actor=pm_actor(), customer_name="Beta", tenant_id=TENANT, products=library.ids(),
                             options=ProjectOptions(porting=False, provider_circuit=True, hardware="rented"),
                             kickoff=now.date(), timezone="Europe/Madrid", language="es", now=now)
    assert set(with_porting.tasks) != set(without.tasks)
    for project in (with_porting, without, with_porting):
        assert compute_schedule(project, library, now) == compute_schedule(project, load_playbooks(), now)
    assert len(library.derived) >= 2
