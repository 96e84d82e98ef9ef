"""Document settings, read from the environment with the rest (bot/config.py).

DOCUMENTS_MAX_MB (25), DOCUMENTS_DOWNLOAD_HOSTS (the hosts a Teams downloadUrl may name: the
SharePoint and OneDrive ones; tests add 127.0.0.1), DOCUMENTS_STALL_SECONDS (10, no byte for
that long ends a download), DOCUMENTS_LINK_MINUTES (15, how long a download link works),
BLOB_ACCOUNT_URL / BLOB_ACCOUNT_KEY / BLOB_CONTAINER (Azure Blob Storage; without a key,
Entra ID). Without BLOB_ACCOUNT_URL documents live in a folder under DATA_DIR.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_HOSTS = ("*.sharepoint.com", "*.sharepoint.us", "*.sharepoint-mil.us", "*.sharepoint.cn", "*.sharepoint.de",
                 "onedrive.live.com", "*.onedrive.live.com", "*.1drv.ms", "*.files.1drv.com")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class DocumentConfigError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class DocumentSettings:
    max_bytes: int = 25 * 1024 * 1024
    download_hosts: tuple[str, ...] = DEFAULT_HOSTS
    stall_seconds: float = 10.0
    link_minutes: int = 15
    blob_account_url: str = ""
    blob_account_key: str = field(default="", repr=False)
    blob_container: str = "documents"

    def host_allowed(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        for pattern in self.download_hosts:
            if pattern.startswith("*."):
                if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                    return True
            elif host == pattern:
                return True
        return False

    @staticmethod
    def from_env(source: Mapping[str, str]) -> DocumentSettings:
        problems: list[str] = []

        def get(name: str, default: str = "") -> str:
            return source.get(name, default).strip()

        def number(name: str, default: str, low: float, high: float) -> float:
            raw = get(name, default) or default
            try:
                value = float(raw)
            except ValueError:
                problems.append(f"{name} must be a number, not {raw!r}")
                return float(default)
            if not low <= value <= high:
                problems.append(f"{name} must be between {low:g} and {high:g}, not {raw}")
            return value

        hosts = tuple(h.strip().lower() for h in get("DOCUMENTS_DOWNLOAD_HOSTS").split(",") if h.strip()) or DEFAULT_HOSTS
        if any("/" in h or ":" in h.replace("::1", "") or h in ("*", "*.") for h in hosts):
            problems.append("DOCUMENTS_DOWNLOAD_HOSTS must be host names (or *.domain), comma-separated")
        url = get("BLOB_ACCOUNT_URL").rstrip("/")
        if url and not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            problems.append("BLOB_ACCOUNT_URL must be an https:// address")
        container = get("BLOB_CONTAINER", "documents") or "documents"
        if not (3 <= len(container) <= 63 and container.replace("-", "").isalnum() and container.islower()):
            problems.append("BLOB_CONTAINER must be 3-63 lower-case letters, digits or hyphens")
        settings = DocumentSettings(
            max_bytes=int(number("DOCUMENTS_MAX_MB", "25", 0.001, 1024) * 1024 * 1024),
            download_hosts=hosts,
            stall_seconds=number("DOCUMENTS_STALL_SECONDS", "10", 0.05, 300),
            link_minutes=int(number("DOCUMENTS_LINK_MINUTES", "15", 1, 24 * 60)),
            blob_account_url=url,
            blob_account_key=get("BLOB_ACCOUNT_KEY"),
            blob_container=container,
        )
        if problems:
            raise DocumentConfigError(problems)
        return settings
