"""View models: what a card shows, computed from the domain for one reader.

Card builders take these and nothing else, so they stay pure and easy to test.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import partial
from zoneinfo import ZoneInfo

from bot.domain.authorization import Action, Actor
from bot.domain.catalogue import t
from bot.domain.digest import Answer, answer_first, compute_digest
from bot.domain.document_rights import may_review, may_upload
from bot.domain.plan import task_owners
from bot.domain.playbook import PlaybookLibrary
from bot.domain.project import Project, TaskState
from bot.domain.roles import Party, Role
from bot.domain.schedule import (
    Health,
    Schedule,
    compute_schedule,
    first_of_next_month,
    health,
    overdue_tasks,
    progress_by_phase,
    waiting_on,
)
from bot.domain.text import Language
from bot.domain.transitions import allowed_actions, spec_of
from cards.base import mention_name, plain
from cards.dates import format_date, format_moment
from cards.documents import DocumentsSection, document_status_lines, documents_section
from cards.plan import PlanView, moved_reason, open_question_lines, plan_view
from cards.porting import PortingView, porting_moved, porting_view

MAX_REFRESH_USERS = 60


@dataclass(frozen=True, slots=True)
class MentionView:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class TaskView:
    project_id: str
    customer_name: str
    key: str
    rev: int
    language: Language
    product_name: str
    phase_title: str
    title: str
    description: str
    effort: str | None
    guidance: list[str]
    links: list[str]
    owners: list[tuple[str, str]]  # (role label, names)
    confirmers: str
    due: str
    state: TaskState
    state_label: str
    history: str | None
    actions: list[Action]
    refresh_user_ids: list[str]
    mentions: list[MentionView] = field(default_factory=list)
    notice: str | None = None
    checks: list[str] = field(default_factory=list)  # e.g. the tenant's licences, for the licensing tasks
    documents: DocumentsSection | None = None  # what the task asks to upload, and what was (cards/documents.py)
    plan: PlanView | None = None  # PM menu, "Ask a question" and the thread (cards/plan.py)
    source_title: str | None = None  # the source's row word for word, when the title is its short form


def task_view(project: Project, library: PlaybookLibrary, key: str, *, viewer: Actor | None, language: Language,
              now: datetime, schedule: Schedule | None = None, notice: str | None = None,
              mention_owners: bool = False, checks: list[str] | None = None) -> TaskView:
    spec = spec_of(library, key, project)
    playbook = library[key.split(":", 1)[0]]
    record = project.tasks[key]
    schedule = schedule or compute_schedule(project, library, now)
    owners = []
    mentions: list[MentionView] = []
    for role in spec.owners:
        people = project.people.get(role, [])
        if mention_owners:
            mentions.extend(MentionView(p.teams_id or p.id, mention_name(p.name)) for p in people)
            names = ", ".join(f"<at>{mention_name(p.name)}</at>" for p in people)
        else:
            names = ", ".join(plain(p.name) for p in people)
        owners.append((role.label.get(language), names or "—"))
    chosen = task_owners(project, library, key) if project.pm_plan.plan(key).owner_ids else None
    if chosen is not None:  # the PM reassigned it (bot/domain/plan.py)
        owners = [(t("task.owner", language), ", ".join(plain(p.name) for p in chosen) or "—")]
        mentions = [MentionView(p.teams_id or p.id, mention_name(p.name)) for p in chosen] if mention_owners else []
    refresh_ids = [p.teams_id or p.id for p in project.people_in(spec.owners + spec.confirmers)]
    refresh_ids += [p.teams_id or p.id for p in project.people_in((Role.PROVIDER_PM,))]
    refresh_ids += [p.teams_id or p.id for p in chosen or []]
    due = schedule.dates[key]
    due_text = format_moment(due.due_at, language, project.timezone) if spec.date_rule else format_date(due.planned_due, language)
    return TaskView(
        project_id=project.id,
        customer_name=plain(project.customer_name),
        key=key,
        rev=record.rev,
        language=language,
        product_name=playbook.name.get(language),
        phase_title=playbook.phase(spec.phase).title.get(language),
        title=spec.label.get(language),
        description=spec.description.get(language),
        effort=spec.effort.get(language) if spec.effort else None,
        guidance=[g.get(language) for g in (*playbook.phase(spec.phase).guidance, *spec.guidance)],
        links=list(spec.links),
        owners=owners,
        confirmers=(", ".join(plain(p.name) for p in chosen) if chosen  # reassigned or custom: its owners confirm
                    else ", ".join(r.label.get(language) for r in spec.confirmers)),
        due=due_text,
        state=record.state,
        state_label=t(f"state.{record.state.value}", language),
        history=_history(project, key, language),
        actions=allowed_actions(project, library, viewer, key) if viewer else [],
        refresh_user_ids=list(dict.fromkeys(refresh_ids))[:MAX_REFRESH_USERS],
        mentions=list({m.id: m for m in mentions}.values()),
        notice=notice,
        checks=[plain(line) for line in checks or []],
        documents=documents_section(project, key, spec.documents, language=language,
                                    can_upload=viewer is not None and may_upload(viewer, project, spec),
                                    can_review=viewer is not None and may_review(viewer, project), in_channel=viewer is None),
        plan=plan_view(project, library, key, viewer=viewer, language=language, due_iso=due.planned_due.isoformat(),
                       data={"p": project.id, "k": key, "r": record.rev}),
        source_title=spec.title.get(language) if spec.label != spec.title else None,
    )


def _history(project: Project, key: str, language: Language) -> str | None:
    record = project.tasks[key]
    if record.changed_at is None:
        return None
    when = format_moment(record.changed_at, language, project.timezone)
    name = plain(record.changed_by_name or "—")
    if record.state is TaskState.DONE:
        return t("task.history.on_behalf" if record.on_behalf else "task.history.done", language, name=name, when=when)
    if record.state is TaskState.BLOCKED:
        return t("task.history.blocked", language, name=name, when=when, reason=plain(record.blocked_reason or ""))
    if record.state is TaskState.NOT_APPLICABLE:
        return t("task.history.na", language, name=name, when=when)
    if record.state is TaskState.REOPENED:
        return t("task.history.reopened", language, name=name, when=when)
    if record.state is TaskState.READY and record.ready_at:
        return t("task.history.ready", language, when=format_moment(record.ready_at, language, project.timezone))
    return None


@dataclass(frozen=True, slots=True)
class TaskLine:
    key: str
    title: str
    detail: str


@dataclass(frozen=True, slots=True)
class PartyView:
    """One side's part of "what each side owes this week": the most urgent first, the rest hidden."""

    label: str  # "Waiting on the customer: 4 tasks this week"
    due_count: int
    top: list[TaskLine]
    rest: list[TaskLine]  # the rest due this week, then the side's later open tasks
    more: int  # beyond `rest`, not listed


@dataclass(frozen=True, slots=True)
class AnswerView:
    """The top of the digest and status cards: are we on track, and what is needed from whom."""

    health: Health
    health_label: str
    reason: str
    forecast_go_live: str
    target_go_live: str
    change: str | None  # against last week's digest; None before the first
    done: int
    total: int
    done_label: str
    parties: list[PartyView]
    blocked: list[TaskLine]  # the first `list_limit`
    overdue: list[TaskLine]
    phases: list[tuple[str, int, int]]  # (phase title, done, total)
    products: list[tuple[str, int, int]]  # (product name, done, total)
    blocked_count: int = 0
    overdue_count: int = 0


TOP_ITEMS = 3
WAITING_KEY = {Party.CUSTOMER: "status.waiting_customer", Party.PROVIDER: "status.waiting_provider",
               Party.PARTNER: "status.waiting_partner"}
_SHORT_MONTHS = {
    "es": ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"],
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
}


def short_date(day: date, language: Language, today: date) -> str:
    """"Dec 3" / "3 dic" for list lines; the year only when it is not this one."""
    month = _SHORT_MONTHS[language][day.month - 1]
    text = f"{day.day} {month}" if language == "es" else f"{month} {day.day}"
    return text if day.year == today.year else f"{text} {day.year}"


def task_title(project: Project, library: PlaybookLibrary, language: Language, key: str) -> str:
    """A task's short title as lists show it."""
    return spec_of(library, key, project).label.get(language)


def owner_names(project: Project, library: PlaybookLibrary, language: Language, key: str) -> str:
    """Who owns a task: the people by name, else its roles (nobody assigned yet)."""
    names = ", ".join(plain(p.name) for p in task_owners(project, library, key))
    return names or ", ".join(r.label.get(language) for r in spec_of(library, key, project).owners)


def answer_view(project: Project, library: PlaybookLibrary, answer: Answer, *, language: Language,
                phases: list[tuple[str, int, int]], list_limit: int = 15) -> AnswerView:
    title_of = partial(task_title, project, library, language)
    owners = partial(owner_names, project, library, language)

    def moment(value: datetime | None) -> str:
        return short_date(value.astimezone(ZoneInfo(project.timezone)).date(), language, answer.today) if value else "—"

    def due_line(key: str, day: date) -> TaskLine:
        when = short_date(day, language, answer.today)
        return TaskLine(key, title_of(key), f"{t('answer.due', language, date=when)} · {owners(key)}")

    parties = []
    for load in answer.parties:
        lines = [due_line(k, d) for k, d in load.due] + [due_line(k, d) for k, d in load.later]
        label = t("answer.owes", language, n=len(load.due), party=t(WAITING_KEY[load.party], language))
        if load.later:
            label += f" · {t('answer.later', language, n=len(load.later))}"
        parties.append(PartyView(label, len(load.due), lines[:min(TOP_ITEMS, len(load.due))],
                                 lines[min(TOP_ITEMS, len(load.due)):TOP_ITEMS + list_limit],
                                 max(0, len(lines) - TOP_ITEMS - list_limit)))
    blocked = []
    for key, reason, since, days_late in answer.blocked:
        detail = f"{plain(reason)} · {t('digest.since', language, date=moment(since))}"
        if days_late:
            detail += f" · {t('status.days_late', language, n=days_late)}"
        blocked.append(TaskLine(key, title_of(key), f"{owners(key)} · {detail}"))
    overdue = [TaskLine(o.key, title_of(o.key), f"{owners(o.key)} · {t('status.days_late', language, n=o.days_late)}")
               for o in answer.overdue]
    change = None
    if answer.go_live_change_days is not None:
        days = answer.go_live_change_days
        change = (t("change.later", language, n=days) if days > 0 else
                  t("change.earlier", language, n=-days) if days < 0 else t("change.same", language))
    products = []
    for product in project.products:
        keys = [k for k in project.tasks if k.split(":", 1)[0] == product]
        products.append((library[product].name.get(language), sum(1 for k in keys if project.tasks[k].state.is_closed), len(keys)))
    why = answer.reason
    return AnswerView(
        health=why.health,
        health_label=t(f"health.{why.health.value}", language),
        reason=t(f"reason.{why.reason.value}", language, **({} if why.reason.value == "complete" else {"n": why.n})),
        forecast_go_live=format_date(answer.forecast_go_live, language),
        target_go_live=format_date(answer.target_go_live, language),
        change=change,
        done=answer.done,
        total=answer.total,
        done_label=t("answer.done", language, done=answer.done, total=answer.total),
        parties=parties,
        blocked=blocked[:list_limit],
        overdue=overdue[:list_limit],
        blocked_count=len(blocked),
        overdue_count=len(overdue),
        phases=phases,
        products=products,
    )


@dataclass(frozen=True, slots=True)
class StatusView:
    project_id: str
    customer_name: str
    language: Language
    products: str
    progress: list[tuple[str, int, int]]  # (phase title, done, total)
    overdue: list[TaskLine]
    blocked: list[TaskLine]
    waiting_customer: list[TaskLine]
    waiting_provider: list[TaskLine]
    milestones: list[TaskLine]
    forecast_go_live: str
    target_go_live: str
    health: Health
    health_label: str
    complete: bool
    done: int
    total: int
    answer: AnswerView
    documents: list[tuple[str, str]] = field(default_factory=list)  # (task, what its documents still need)
    porting: PortingView | None = None  # issue 17: port orders
    questions: list[str] = field(default_factory=list)  # open questions on tasks (cards/plan.py)


def status_view(project: Project, library: PlaybookLibrary, *, language: Language, now: datetime,
                schedule: Schedule | None = None, list_limit: int = 8) -> StatusView:
    schedule = schedule or compute_schedule(project, library, now)

    title_of = partial(task_title, project, library, language)
    owners = partial(owner_names, project, library, language)

    progress = []
    for item in progress_by_phase(project, library):
        phase = library[item.playbook_id].phase(item.phase_id)
        progress.append((phase.title.get(language), item.done, item.total))
    overdue = [
        TaskLine(o.key, title_of(o.key), f"{owners(o.key)} · {t('status.days_late', language, n=o.days_late)}")
        for o in overdue_tasks(project, schedule, now)
    ][:list_limit]
    blocked = [
        TaskLine(k, title_of(k), f"{owners(k)} · {plain(r.blocked_reason or '')}")
        for k, r in project.tasks.items() if r.state is TaskState.BLOCKED
    ][:list_limit]
    sides = waiting_on(project, library)

    def lines(keys: list[str]) -> list[TaskLine]:
        return [TaskLine(k, title_of(k), f"{owners(k)} · {format_date(schedule.dates[k].planned_due, language)}")
                for k in keys][:list_limit]

    upcoming = sorted(
        (k for k, r in project.tasks.items() if not r.state.is_closed and spec_of(library, k, project).milestone is not None),
        key=lambda k: schedule.dates[k].forecast_finish,
    )
    milestones = [
        TaskLine(k, title_of(k), format_date(schedule.dates[k].forecast_finish, language)) for k in upcoming
    ][:list_limit]
    state = health(project, schedule, now)
    done = sum(1 for r in project.tasks.values() if r.state.is_closed)
    return StatusView(
        project_id=project.id,
        customer_name=plain(project.customer_name),
        language=language,
        products=" + ".join(library[p].name.get(language) for p in project.products),
        progress=progress,
        overdue=overdue,
        blocked=blocked,
        waiting_customer=lines(sides["customer"]),
        waiting_provider=lines(sides["provider"]),
        milestones=milestones,
        forecast_go_live=format_date(schedule.forecast_go_live, language),
        target_go_live=format_date(schedule.target_go_live, language),
        health=state,
        health_label=t(f"health.{state.value}", language),
        complete=project.is_complete(),
        done=done,
        total=len(project.tasks),
        documents=document_status_lines(project, library, language, list_limit),
        answer=answer_view(project, library, answer_first(project, library, schedule, now), language=language,
                           phases=progress),
        porting=porting_view(project, language, now),
        questions=open_question_lines(project, library, language),
    )


@dataclass(frozen=True, slots=True)
class DigestView:
    project_id: str
    customer_name: str
    language: Language
    week: str
    products: str
    health: Health
    health_label: str
    forecast_go_live: str
    target_go_live: str
    done: int
    total: int
    blocked_count: int
    overdue_count: int
    progress: list[tuple[str, int, int]]
    completed: list[TaskLine]
    due_soon: list[TaskLine]
    overdue: list[TaskLine]
    blocked: list[TaskLine]
    waiting_customer: list[TaskLine]
    waiting_provider: list[TaskLine]
    moved: list[TaskLine]
    complete: bool
    answer: AnswerView
    porting: PortingView | None = None  # issue 17: port orders, and their FOCs that moved


def digest_view(project: Project, library: PlaybookLibrary, *, language: Language, now: datetime,
                list_limit: int = 8, previous: dict[str, str] | None = None) -> DigestView:
    """`previous`: the dates the last digest showed (default: the project's record of them)."""
    digest = compute_digest(project, library, now, previous=previous)

    title_of = partial(task_title, project, library, language)
    owners = partial(owner_names, project, library, language)

    def moment(value: datetime | None) -> str:
        return format_date(value.astimezone(ZoneInfo(project.timezone)).date(), language) if value else "—"

    def moved_label(key: str) -> str:
        return t("status.go_live", language) if key == "go_live" else title_of(key)

    progress = [(library[p.playbook_id].phase(p.phase_id).title.get(language), p.done, p.total) for p in digest.progress]
    view = DigestView(
        project_id=project.id,
        customer_name=plain(project.customer_name),
        language=language,
        week=digest.week,
        products=" + ".join(library[p].name.get(language) for p in project.products),
        health=digest.health,
        health_label=t(f"health.{digest.health.value}", language),
        forecast_go_live=format_date(digest.schedule.forecast_go_live, language),
        target_go_live=format_date(digest.schedule.target_go_live, language),
        done=digest.done,
        total=digest.total,
        blocked_count=len(digest.blocked),
        overdue_count=len(digest.overdue),
        progress=progress,
        completed=[TaskLine(k, title_of(k), f"{plain(project.tasks[k].changed_by_name or '')} · {moment(when)}")
                   for k, when in digest.completed][:list_limit],
        due_soon=[TaskLine(k, title_of(k), f"{owners(k)} · {format_date(day, language)}") for k, day in digest.due_soon][:list_limit],
        overdue=[TaskLine(o.key, title_of(o.key), f"{owners(o.key)} · {t('status.days_late', language, n=o.days_late)}")
                 for o in digest.overdue][:list_limit],
        blocked=[TaskLine(k, title_of(k), f"{plain(reason)} · {t('digest.since', language, date=moment(since))}")
                 for k, reason, since in digest.blocked][:list_limit],
        waiting_customer=[TaskLine(k, title_of(k), owners(k)) for k in digest.waiting["customer"]][:list_limit],
        waiting_provider=[TaskLine(k, title_of(k), owners(k)) for k in digest.waiting["provider"]][:list_limit],
        moved=[TaskLine(m.label_key, moved_label(m.label_key),
                        f"{format_date(date.fromisoformat(m.before), language)} → {format_date(date.fromisoformat(m.after), language)}"
                        + moved_reason(project, m.label_key))
               for m in digest.moved] + porting_moved(project, language, now),  # a few milestones at most; issue 17: moved FOCs
        complete=project.is_complete(),
        answer=answer_view(project, library, answer_first(project, library, digest.schedule, now, previous=previous),
                           language=language, phases=progress),
        porting=porting_view(project, language, now),
    )
    return _moves_where_listed(view)


def _moves_where_listed(view: DigestView) -> DigestView:
    """A task is listed once: a moved date of a task the answer lists joins that task's line."""
    moves = {line.key: line.detail for line in view.moved}

    def with_move(lines: list[TaskLine]) -> list[TaskLine]:
        return [replace(line, detail=f"{line.detail} · {moves[line.key]}") if line.key in moves else line for line in lines]

    answer = view.answer
    listed = {line.key for line in answer.blocked + answer.overdue}
    listed |= {line.key for party in answer.parties for line in party.top + party.rest}
    if not listed & set(moves):
        return view
    parties = [replace(party, top=with_move(party.top), rest=with_move(party.rest)) for party in answer.parties]
    answer = replace(answer, blocked=with_move(answer.blocked), overdue=with_move(answer.overdue), parties=parties)
    return replace(view, answer=answer, moved=[line for line in view.moved if line.key not in listed])


@dataclass(frozen=True, slots=True)
class CompletionView:
    customer_name: str
    language: Language
    services: list[str]
    key_dates: list[tuple[str, str]]
    first_invoice: str


def completion_view(project: Project, library: PlaybookLibrary, *, language: Language, now: datetime) -> CompletionView:
    """The project completion report the source describes: services deployed per the contract,
    key dates, and the first invoice date by the billing rule."""
    schedule = compute_schedule(project, library, now)
    tz = ZoneInfo(project.timezone)
    services = [library[p].name.get(language) for p in project.products]
    options = project.options
    if options.porting:
        services.append(t("completion.porting", language))
    if options.provider_circuit:
        services.append(t("completion.circuit", language))
    if options.hardware != "none":
        services.append(t(f"completion.hardware.{options.hardware}", language))
    key_dates = [(t("completion.kickoff", language), format_date(project.kickoff, language))]
    for key, record in project.tasks.items():
        spec = spec_of(library, key, project)
        if spec.milestone is not None and record.done_at is not None:
            key_dates.append((spec.label.get(language), format_date(record.done_at.astimezone(tz).date(), language)))
    if project.completed_at:
        key_dates.append((t("completion.completed", language), format_date(project.completed_at.astimezone(tz).date(), language)))
    invoice = schedule.first_invoice or (first_of_next_month(project.completed_at.astimezone(tz).date()) if project.completed_at else None)
    return CompletionView(
        customer_name=plain(project.customer_name),
        language=language,
        services=services,
        key_dates=key_dates,
        first_invoice=format_date(invoice, language) if invoice else "—",
    )
