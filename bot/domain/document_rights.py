"""Who may upload, review and download a task's documents: its owners and confirmers (in the
project's tenant) and the project's PMs. Everyone else, another tenant included, may not."""

from __future__ import annotations

from bot.domain.authorization import Actor
from bot.domain.playbook import TaskSpec
from bot.domain.project import Project


def may_upload(actor: Actor, project: Project, spec: TaskSpec) -> bool:
    if project.tenant_id != actor.tenant_id:
        return actor.is_staff_pm and project.is_pm(actor.id)
    return project.is_pm(actor.id) or bool(project.roles_of(actor.id) & set(spec.owners + spec.confirmers))


def may_review(actor: Actor, project: Project) -> bool:
    return project.is_pm(actor.id) and (project.tenant_id == actor.tenant_id or actor.is_staff_pm)
