"""Settings, read from the environment once at start-up and validated with clear messages."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.documents.settings import DocumentConfigError, DocumentSettings
from bot.graph.settings import GraphConfigError, GraphSettings

APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")
# Azure Bot Service creates only single-tenant and managed-identity bots now; MultiTenant stays
# accepted for registrations made before.
DEFAULT_APP_TYPE = "SingleTenant"
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")
LOG_FORMATS = ("text", "json")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# Object ids as clients send them; the Agents Playground's are GUID-like but one digit longer.
_OBJECT_ID = re.compile(r"^[0-9a-fA-F-]{16,64}$")


class ConfigError(Exception):
    """The environment is wrong; `problems` lists every problem found, each one line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Settings:
    app_id: str = ""
    app_password: str = field(default="", repr=False)
    app_type: str = DEFAULT_APP_TYPE
    app_tenant_id: str = ""
    port: int = 3978
    host: str = "0.0.0.0"
    data_dir: Path = Path(".data")
    allow_anonymous: bool = False
    cosmos_endpoint: str = ""
    cosmos_key: str = field(default="", repr=False)
    cosmos_database: str = "activation"
    pm_aad_ids: frozenset[str] = frozenset()
    bot_admin_aad_ids: frozenset[str] = frozenset()  # bot admins (manage staff in Teams); PMs too
    staff_tenant_id: str = ""
    allowed_tenant_ids: frozenset[str] = frozenset()
    openid_metadata_url: str = ""
    graph: GraphSettings | None = None  # Microsoft Graph (reach owners, licence check); None when not configured
    log_level: str = "INFO"
    scheduler_enabled: bool = True
    tenant_send_rate: float = 30.0
    escalate_after_days: int = 3
    send_interval: float = 1.0  # seconds between two messages to one conversation
    public_url: str = ""  # where users' browsers reach this bot (download links)
    documents: DocumentSettings = field(default_factory=DocumentSettings)  # uploads: limits, hosts, Blob Storage
    log_format: str = "text"  # "json": one JSON object per line (bot/telemetry.py)
    appinsights_connection_string: str = field(default="", repr=False)  # telemetry on when set
    send_shares: int = 1  # processes sharing the send budget (bot/delivery/budget.py)

    @property
    def anonymous(self) -> bool:
        return not self.app_id

    @property
    def store_kind(self) -> str:
        return "cosmos" if self.cosmos_endpoint else "sqlite"

    @staticmethod
    def from_env(env: Mapping[str, str] | None = None) -> Settings:
        source = dict(os.environ if env is None else env)
        problems: list[str] = []

        def get(name: str, default: str = "") -> str:
            return source.get(name, default).strip()

        def flag(name: str, default: bool = False) -> bool:
            value = get(name).lower()
            if not value:
                return default
            if value in FALSE_WORDS:
                return False
            if value in TRUE_WORDS:
                return True
            problems.append(f"{name} must be 1 or 0 (or true/false, yes/no, on/off), not {value!r}")
            return default

        def number(name: str, default: str, kind: type[int] | type[float], low: float, high: float) -> float:
            raw = get(name, default)
            try:
                value = kind(raw)
            except ValueError:
                problems.append(f"{name} must be a number, not {raw!r}")
                return kind(default)
            if not low <= value <= high:
                problems.append(f"{name} must be between {low:g} and {high:g}, not {raw}")
            return value

        def guid_list(name: str) -> frozenset[str]:
            values = frozenset(v.strip().lower() for v in get(name).split(",") if v.strip())
            bad = sorted(v for v in values if not _OBJECT_ID.match(v))
            if bad:
                problems.append(f"{name} must be comma-separated Entra object ids (GUIDs); not: {', '.join(bad)}")
            return values

        app_id = get("MicrosoftAppId")
        app_password = get("MicrosoftAppPassword")
        # Without an app id nothing is authenticated, and botbuilder takes only the multi-tenant shape.
        app_type = get("MicrosoftAppType") or (DEFAULT_APP_TYPE if app_id else "MultiTenant")
        app_tenant_id = get("MicrosoftAppTenantId")
        allow_anonymous = flag("ALLOW_ANONYMOUS")
        if app_type not in APP_TYPES:
            problems.append(f"MicrosoftAppType must be one of {', '.join(APP_TYPES)}, not {app_type!r}")
        if app_id:
            if not _GUID.match(app_id):
                problems.append("MicrosoftAppId must be the bot's app registration id (a GUID)")
            if allow_anonymous:
                problems.append("ALLOW_ANONYMOUS=1 is only for local use without MicrosoftAppId; unset one of them")
            if app_type != "UserAssignedMSI" and not app_password:
                problems.append("MicrosoftAppPassword is required with MicrosoftAppId (unless MicrosoftAppType=UserAssignedMSI)")
            if app_type in ("SingleTenant", "UserAssignedMSI") and not app_tenant_id:
                problems.append(f"MicrosoftAppTenantId (the tenant of the bot's app registration) is required when MicrosoftAppType={app_type}"
                                + ("" if get("MicrosoftAppType") else " (the default); set it, or MicrosoftAppType=MultiTenant for an older registration"))
            elif app_tenant_id and not _GUID.match(app_tenant_id):
                problems.append("MicrosoftAppTenantId must be a tenant id (a GUID)")
        elif not allow_anonymous:
            problems.append(
                "MicrosoftAppId is not set. Set the bot's Entra app registration (MicrosoftAppId, "
                "MicrosoftAppPassword), or set ALLOW_ANONYMOUS=1 to run locally without authentication"
            )
        cosmos_endpoint = get("COSMOS_ENDPOINT")
        if cosmos_endpoint and not cosmos_endpoint.startswith("https://"):
            problems.append("COSMOS_ENDPOINT must be an https:// address")
        log_level = get("LOG_LEVEL", "INFO").upper()
        if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            problems.append(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {log_level!r}")
        openid = get("BOT_OPENID_METADATA_URL")
        if openid and not openid.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            problems.append("BOT_OPENID_METADATA_URL must be an https:// address")
        log_format = get("LOG_FORMAT", "text").lower() or "text"
        if log_format not in LOG_FORMATS:
            problems.append(f"LOG_FORMAT must be text or json, not {log_format!r}")
        graph: GraphSettings | None = None
        try:
            graph = GraphSettings.from_env(source)
        except GraphConfigError as error:
            problems.extend(error.problems)
        documents = DocumentSettings()
        try:
            documents = DocumentSettings.from_env(source)
        except DocumentConfigError as error:
            problems.extend(error.problems)
        settings = Settings(
            app_id=app_id,
            app_password=app_password,
            app_type=app_type,
            app_tenant_id=app_tenant_id,
            port=int(number("PORT", "3978", int, 1, 65535)),
            host=get("HOST", "0.0.0.0"),
            data_dir=Path(get("DATA_DIR", ".data") or ".data"),
            allow_anonymous=allow_anonymous,
            cosmos_endpoint=cosmos_endpoint,
            cosmos_key=get("COSMOS_KEY"),
            cosmos_database=get("COSMOS_DATABASE", "activation") or "activation",
            pm_aad_ids=guid_list("PM_AAD_IDS"),
            bot_admin_aad_ids=guid_list("BOT_ADMIN_AAD_IDS"),
            staff_tenant_id=get("STAFF_TENANT_ID").lower(),
            allowed_tenant_ids=guid_list("ALLOWED_TENANT_IDS"),
            openid_metadata_url=openid,
            graph=graph,
            log_level=log_level,
            scheduler_enabled=flag("SCHEDULER", default=True),
            tenant_send_rate=float(number("TENANT_SEND_RATE", "30", float, 0.1, 50)),
            escalate_after_days=int(number("ESCALATE_AFTER_DAYS", "3", int, 1, 60)),
            send_interval=float(number("SEND_INTERVAL", "1", float, 0, 60)),
            public_url=(get("PUBLIC_URL") or f"http://localhost:{get('PORT', '3978')}").rstrip("/"),
            documents=documents,
            log_format=log_format,
            appinsights_connection_string=get("APPLICATIONINSIGHTS_CONNECTION_STRING"),
            send_shares=int(number("SEND_SHARES", "1", int, 1, 50)),
        )
        if problems:
            raise ConfigError(problems)
        return settings

    def is_staff_pm(self, aad_object_id: str | None, tenant_id: str | None) -> bool:
        """Provider PMs: the Entra object ids in PM_AAD_IDS, and everyone signed in to the
        provider's own tenant (STAFF_TENANT_ID) when that is set."""
        if not aad_object_id:
            return False
        if aad_object_id.lower() in self.pm_aad_ids | self.bot_admin_aad_ids:
            return True
        return bool(self.staff_tenant_id) and (tenant_id or "").lower() == self.staff_tenant_id

    def tenant_allowed(self, tenant_id: str | None) -> bool:
        return not self.allowed_tenant_ids or (tenant_id or "").lower() in self.allowed_tenant_ids
