"""Events: the append-only history of a project. Every change records who, when, what, why."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Event:
    id: str  # "<project id>:<seq>": deterministic, so a retried write is recognised
    project_id: str
    seq: int
    at: datetime
    kind: str  # project_created, task_changed, roles_assigned, foc_set, port_date_moved, ...
    actor_id: str
    actor_name: str
    task_key: str | None = None
    from_state: str | None = None
    to_state: str | None = None
    reason: str | None = None
    on_behalf: bool = False
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "projectId": self.project_id,
            "type": "event",
            "seq": self.seq,
            "at": self.at.isoformat(),
            "kind": self.kind,
            "actorId": self.actor_id,
            "actorName": self.actor_name,
            "taskKey": self.task_key,
            "fromState": self.from_state,
            "toState": self.to_state,
            "reason": self.reason,
            "onBehalf": self.on_behalf,
            "data": self.data,
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Event:
        return Event(
            id=data["id"],
            project_id=data["projectId"],
            seq=int(data["seq"]),
            at=datetime.fromisoformat(data["at"]),
            kind=data["kind"],
            actor_id=data["actorId"],
            actor_name=data["actorName"],
            task_key=data.get("taskKey"),
            from_state=data.get("fromState"),
            to_state=data.get("toState"),
            reason=data.get("reason"),
            on_behalf=bool(data.get("onBehalf")),
            data=dict(data.get("data") or {}),
        )
