"""What a PM changed in a project's plan, and the questions asked on its tasks: stored with the
project (one field, `Project.pm_plan`) so a change and what it owes are one write.

Kept apart from project.py so the plan changes (bot/domain/plan.py) and questions
(bot/domain/questions.py) own their records; project.py only carries and serialises them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.domain import catalogue
from bot.domain.playbook import TaskSpec
from bot.domain.text import LocalizedText, plain

MAX_UNDO = 20
CUSTOM_PREFIX = "custom."  # a custom task's id: "custom.<hex>", its key "<playbook>:custom.<hex>"
MAX_TITLE_LENGTH = 200


@dataclass(frozen=True, slots=True)
class CustomTask:
    """A task the PM added to one phase of one of the project's playbooks (bot/domain/custom_tasks.py).
    Its owners and due date live in the task's TaskPlan, like a reassigned playbook task's."""

    key: str
    phase: str
    title: LocalizedText
    party: str = "provider"
    depends_on: tuple[str, ...] = ()  # task ids in the same playbook

    @property
    def spec(self) -> TaskSpec:
        """As a playbook task's: its titles made plain text (a PM typed them; every view shows them)."""
        title = LocalizedText(plain(self.title.es), plain(self.title.en))
        return TaskSpec(id=self.key.split(":", 1)[1], phase=self.phase, party=self.party, title=title,
                        description=catalogue.text("custom.description"), owners=(), confirmers=(),
                        depends_on=self.depends_on)

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "phase": self.phase, "title": self.title.to_dict(), "party": self.party,
                "dependsOn": list(self.depends_on)}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> CustomTask:
        title = data.get("title") or {}
        return CustomTask(data["key"], data["phase"], LocalizedText(title.get("es", ""), title.get("en", "")),
                          data.get("party") or "provider", tuple(data.get("dependsOn") or ()))


@dataclass(frozen=True, slots=True)
class TaskPlan:
    """A PM's changes to one task: its owners (roster person ids; empty keeps the playbook's
    roles) and a moved due date with its reason."""

    owner_ids: tuple[str, ...] = ()
    due: date | None = None
    due_reason: str | None = None
    due_from: date | None = None  # the planned date before the PM first moved it (the digest's "dates that moved")

    def to_dict(self) -> dict[str, Any]:
        return {"owners": list(self.owner_ids), "due": self.due.isoformat() if self.due else None, "dueReason": self.due_reason,
                "dueFrom": self.due_from.isoformat() if self.due_from else None}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> TaskPlan:
        due, due_from = data.get("due"), data.get("dueFrom")
        return TaskPlan(tuple(data.get("owners") or ()), date.fromisoformat(due) if due else None, data.get("dueReason"),
                        date.fromisoformat(due_from) if due_from else None)


@dataclass(frozen=True, slots=True)
class UndoEntry:
    """How to take back one plan change: the task's plan and state before it."""

    seq: int  # the change's event
    kind: str  # reassigned, due_moved, marked_not_applicable
    key: str
    before: TaskPlan
    state_before: str | None = None
    custom: CustomTask | None = None  # a removed custom task, to put back
    record: dict[str, Any] | None = None  # its TaskRecord as stored

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "kind": self.kind, "key": self.key, "before": self.before.to_dict(),
                "stateBefore": self.state_before, **({"custom": self.custom.to_dict()} if self.custom else {}),
                **({"record": self.record} if self.record else {})}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> UndoEntry:
        custom = data.get("custom")
        return UndoEntry(int(data["seq"]), data["kind"], data["key"], TaskPlan.from_dict(data.get("before") or {}),
                         data.get("stateBefore"), CustomTask.from_dict(custom) if custom else None, data.get("record"))


@dataclass(frozen=True, slots=True)
class Message:
    """One question or answer in a task's thread."""

    by_id: str
    by_name: str
    text: str
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"by": self.by_id, "name": self.by_name, "text": self.text, "at": self.at.isoformat()}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Message:
        return Message(data["by"], data.get("name", ""), data.get("text", ""), datetime.fromisoformat(data["at"]))


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    key: str  # the task
    asked: Message
    answers: tuple[Message, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "key": self.key, "asked": self.asked.to_dict(), "answers": [a.to_dict() for a in self.answers]}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Question:
        return Question(data["id"], data["key"], Message.from_dict(data["asked"]),
                        tuple(Message.from_dict(a) for a in data.get("answers") or ()))


@dataclass(slots=True)
class PlanState:
    tasks: dict[str, TaskPlan] = field(default_factory=dict)
    undo: list[UndoEntry] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    holidays: tuple[date, ...] | None = None  # None: the country's public holidays (bot/domain/working_days.py)
    custom: dict[str, CustomTask] = field(default_factory=dict)  # by key; old projects have none

    def plan(self, key: str) -> TaskPlan:
        return self.tasks.get(key) or TaskPlan()

    def to_dict(self) -> dict[str, Any]:
        return {
            "tasks": {k: p.to_dict() for k, p in self.tasks.items()},
            "undo": [u.to_dict() for u in self.undo[-MAX_UNDO:]],
            "questions": [q.to_dict() for q in self.questions],
            "holidays": [d.isoformat() for d in self.holidays] if self.holidays is not None else None,
            **({"custom": [c.to_dict() for c in self.custom.values()]} if self.custom else {}),
        }

    @staticmethod
    def from_dict(data: dict[str, Any] | None) -> PlanState:
        if not data:
            return PlanState()
        holidays = data.get("holidays")
        return PlanState(
            tasks={k: TaskPlan.from_dict(v) for k, v in (data.get("tasks") or {}).items()},
            undo=[UndoEntry.from_dict(u) for u in data.get("undo") or ()],
            questions=[Question.from_dict(q) for q in data.get("questions") or ()],
            holidays=tuple(date.fromisoformat(d) for d in holidays) if holidays is not None else None,
            custom={c["key"]: CustomTask.from_dict(c) for c in data.get("custom") or ()},
        )
