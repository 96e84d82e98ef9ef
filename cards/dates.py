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


def porting_dates_card(language: Language, data: dict[str, object], *, foc: date | None, port: date | None,
                       minimum: date, notice: str | None = None) -> dict[str, object]:
    """The PM picks the FOC and port dates (Input.Date) instead of typing them (issue 18)."""
    from bot.domain.catalogue import t
    from cards.base import card, execute, text, title

    body: list[dict[str, object]] = [title(t("date.picker.title", language))]
    if notice:
        body.append(text(notice, color="Warning"))
    body += [
        {"type": "Input.Date", "id": "foc", "label": t("date.picker.foc", language), "value": foc.isoformat() if foc else "",
         "min": minimum.isoformat()},
        {"type": "Input.Date", "id": "port", "label": t("date.picker.port", language), "value": port.isoformat() if port else "",
         "min": minimum.isoformat()},
    ]
    return card(body, [execute("set_dates", t("date.picker.save", language), data, associated_inputs="auto")],
                fallback_text=t("date.picker.title", language))
