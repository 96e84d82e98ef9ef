"""Weekly digests: when they fall due, what they say, and that their cards are valid for every
kind of project in both languages."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.authorization import Action
from bot.domain.digest import compute_digest, next_digest_at, record_weekly_digest, week_of
from bot.domain.project import ConversationTarget, Person, ProjectOptions, TaskState
from bot.domain.roles import Role
from bot.domain.transitions import apply_task_action, new_project
from cards.digest import completion_card, digest_card, portfolio_digest_card
from cards.views import completion_view, digest_view
from tests.conftest import TENANT, pm_actor
from tests.support.card_validation import MAX_CARD_BYTES, cards_problems

NY = ZoneInfo("America/New_York")
START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # a Monday


def project_at(library, now=START):
    people = {Role.CUSTOMER_PRIMARY_CONTACT: [Person("c", "Cam")], Role.CUSTOMER_GLOBAL_ADMIN: [Person("g", "Gil <at>x</at>")],
              Role.CUSTOMER_ADMIN: [Person("g", "Gil <at>x</at>")], Role.AUTHORIZED_SIGNER: [Person("c", "Cam")]}
    project, _ = new_project(library, actor=pm_actor(), customer_name="Acme [evil](http://x)", tenant_id=TENANT,
                             products=("cloud_voice_teams", "officeconnect_ucaas"),
                             options=ProjectOptions(porting=True, provider_circuit=True, hardware="rented"),
                             kickoff=now.date(), timezone="America/New_York", language="en", now=now,
                             requested_port_date=now.date() + timedelta(days=40), people=people,
                             channel=ConversationTarget("19:c@thread.tacv2", "http://127.0.0.1:1/", TENANT))
    return project


def finish(project, library, now, keys=None):
    pm = pm_actor()
    for _ in range(400):
        open_keys = [k for k, r in project.tasks.items() if r.state in (TaskState.READY, TaskState.REOPENED)]
        open_keys = [k for k in open_keys if keys is None or k in keys]
        if not open_keys:
            return
        apply_task_action(project, library, actor=pm, action=Action.CONFIRM_ON_BEHALF, key=open_keys[0], now=now)


def scenarios(library):
    started = project_at(library)
    on_track = project_at(library)
    finish(on_track, library, START + timedelta(hours=1),
           keys={k for k in on_track.tasks if ":licensing." in k or ":initial_discovery." in k})
    late = project_at(library)
    blocked = project_at(library)
    key = next(k for k, r in blocked.tasks.items() if r.state is TaskState.READY)
    apply_task_action(blocked, library, actor=pm_actor(), action=Action.BLOCK, key=key, now=START, reason="Waiting on licences")
    complete = project_at(library)
    finish(complete, library, START + timedelta(days=2))
    return {"started": (started, START), "on_track": (on_track, START + timedelta(days=1)),
            "late": (late, START + timedelta(days=120)), "blocked": (blocked, START + timedelta(days=3)),
            "complete": (complete, START + timedelta(days=3))}


def test_digest_cards_are_valid_for_every_kind_of_project_in_both_languages(library) -> None:
    cards = []
    for name, (project, now) in scenarios(library).items():
        for language in ("en", "es"):
            card = digest_card(digest_view(project, library, language=language, now=now))
            size = len(json.dumps(card, ensure_ascii=False).encode())
            assert size < MAX_CARD_BYTES, (name, language, size)
            cards.append(card)
        cards.append(completion_card(completion_view(project, library, language="es", now=now)))
    views = [digest_view(p, library, language="en", now=n) for p, n in scenarios(library).values()]
    cards.append(portfolio_digest_card(views, "en"))
    assert [p for p in cards_problems(cards) if p] == []
    # User text is inert: no forged link or mention.
    assert "](http" not in json.dumps(cards) and "<at>x</at>" not in json.dumps(cards)


def test_digest_content_reflects_the_state(library) -> None:
    cases = scenarios(library)
    late_project, late_now = cases["late"]
    late = compute_digest(late_project, library, late_now)
    assert late.health.value == "late" and late.overdue
    blocked = compute_digest(*cases["blocked"][:1], library, cases["blocked"][1])
    assert [reason for _, reason, _ in blocked.blocked] == ["Waiting on licences"]
    on_track_project, on_track_now = cases["on_track"]
    on_track = compute_digest(on_track_project, library, on_track_now)
    assert len(on_track.completed) >= 4 and on_track.due_soon
    complete = compute_digest(*cases["complete"][:1], library, cases["complete"][1])
    assert complete.done == complete.total
    es = digest_view(late_project, library, language="es", now=late_now)
    assert es.health_label == "Retrasado" and "días de retraso" in es.overdue[0].detail


def test_dates_that_moved_since_last_digest(library) -> None:
    project = project_at(library)
    assert record_weekly_digest(project, library, START) is not None
    later = START + timedelta(days=60)  # nothing done: the forecast slips
    moved = compute_digest(project, library, later).moved
    assert any(m.label_key == "go_live" and m.after > m.before for m in moved)


@pytest.mark.parametrize(("after", "expected_local"), [
    (datetime(2026, 11, 23, 13, 59, tzinfo=UTC), datetime(2026, 11, 23, 9, 0)),  # Monday 08:59 EST -> same day 09:00
    (datetime(2026, 11, 23, 14, 0, tzinfo=UTC), datetime(2026, 11, 30, 9, 0)),  # exactly 09:00 -> next week
    (datetime(2026, 3, 4, 12, 0, tzinfo=UTC), datetime(2026, 3, 9, 9, 0)),  # across the March DST change
    (datetime(2026, 10, 28, 12, 0, tzinfo=UTC), datetime(2026, 11, 2, 9, 0)),  # across the November DST change
])
def test_next_digest_is_monday_nine_local_through_dst(library, after: datetime, expected_local: datetime) -> None:
    project = project_at(library)
    moment = next_digest_at(project, after)
    assert moment.astimezone(NY).replace(tzinfo=None) == expected_local


def test_a_weeks_digest_is_recorded_once(library) -> None:
    project = project_at(library)
    first = record_weekly_digest(project, library, START)
    assert first is not None and first.id.endswith(week_of(project, START))
    assert record_weekly_digest(project, library, START + timedelta(hours=3)) is None
    assert record_weekly_digest(project, library, START + timedelta(days=7)) is not None
    assert project.next_digest_at is not None and project.next_digest_at > START + timedelta(days=7)


def test_completion_report_names_services_dates_and_first_invoice(library) -> None:
    project = project_at(library)
    finish(project, library, datetime(2027, 1, 31, 23, 30, tzinfo=NY))
    view = completion_view(project, library, language="en", now=datetime(2027, 2, 1, 12, tzinfo=UTC))
    assert "Number porting" in view.services and "Provider-supplied circuit" in view.services
    assert "Rented hardware" in view.services
    assert view.first_invoice == "February 1, 2027"  # the 1st of the month after deployment (31 Jan local)
    assert date(2027, 1, 31).strftime("%B") in str(view.key_dates)
