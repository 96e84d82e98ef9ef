"""Dates in the reader's language and the project's time zone (no locale data needed)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.domain.text import Language

_MONTHS = {
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
}


def format_date(day: date, language: Language) -> str:
    month = _MONTHS[language][day.month - 1]
    return f"{day.day} de {month} de {day.year}" if language == "es" else f"{month} {day.day}, {day.year}"


def format_moment(moment: datetime, language: Language, timezone: str) -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{format_date(local.date(), language)} {local:%H:%M} ({local.tzname()})"
