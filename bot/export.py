"""The project's full history as CSV, behind a short-lived signed download link.

Excel-ready: UTF-8 with a byte-order mark (without one Excel reads the file as the local code
page and accents break), CRLF rows, ISO 8601 dates, and every text cell guarded against
formulas (CSV injection). Plan changes and question threads are events, so they are in it.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import json
from datetime import datetime, timedelta

from bot.domain.events import Event
from bot.domain.playbook import PlaybookLibrary
from bot.domain.project import Project
from bot.domain.transitions import spec_of
from cards.porting import porting_csv_rows

LINK_LIFETIME = timedelta(hours=1)
COLUMNS = ["seq", "at", "kind", "actor", "task_id", "task", "from", "to", "on_behalf", "reason", "details"]


BOM = "\ufeff"


def history_csv(project: Project, events: list[Event], library: PlaybookLibrary) -> str:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for event in events:
        title = ""
        if event.task_key and event.task_key in project.tasks:
            title = spec_of(library, event.task_key).title.get(project.language)
        writer.writerow([
            event.seq, event.at.isoformat(), event.kind, _safe(event.actor_name), _safe(event.task_key or ""), _safe(title),
            event.from_state or "", event.to_state or "", "yes" if event.on_behalf else "", _safe(event.reason or ""),
            _safe(json.dumps(event.data, ensure_ascii=False, sort_keys=True)) if event.data else "",
        ])
    writer.writerows(porting_csv_rows(project, events[-1].at if events else project.created_at))  # issue 17: each port order
    return out.getvalue()


def _safe(value: str) -> str:
    """Neutralise spreadsheet formulas in user text (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%") else value


def sign_link(secret: bytes, project_id: str, requester_id: str, now: datetime) -> str:
    payload = json.dumps({"p": project_id, "u": requester_id, "e": int((now + LINK_LIFETIME).timestamp())}, separators=(",", ":"))
    body = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    mac = hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{body}.{mac}"


def verify_link(secret: bytes, token: str, now: datetime) -> str | None:
    """The project id the token grants, or None when forged, malformed or expired."""
    if len(token) > 600 or "." not in token:
        return None
    body, mac = token.rsplit(".", 1)
    expected = hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()[:32]
    if not hmac.compare_digest(mac, expected):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    if not isinstance(payload, dict) or int(payload.get("e", 0)) < now.timestamp():
        return None
    project_id = payload.get("p")
    return project_id if isinstance(project_id, str) else None
