"""Bilingual text: every user-facing string exists in Spanish and English."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Language = Literal["es", "en"]
LANGUAGES: tuple[Language, ...] = ("es", "en")


def language_from_locale(locale: str | None, default: Language = "en") -> Language:
    """Map a Bot Framework locale ("es-MX", "en-US", "ES") to one of our languages."""
    if not locale:
        return default
    prefix = locale.strip().lower()[:2]
    if prefix == "es":
        return "es"
    if prefix == "en":
        return "en"
    return default


@dataclass(frozen=True, slots=True)
class LocalizedText:
    es: str
    en: str

    def get(self, language: Language) -> str:
        return self.es if language == "es" else self.en

    def to_dict(self) -> dict[str, str]:
        return {"es": self.es, "en": self.en}
