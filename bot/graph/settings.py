"""How the bot reaches Microsoft Graph, read from the environment (SDK-free).

One Entra app registration (by default the bot's own: MicrosoftAppId / MicrosoftAppPassword)
gets an app-only token in each customer tenant; the customer's admin must have consented to
it there (docs/graph.md). Endpoint and authority host are configurable for sovereign clouds
and for the local stand-in the tests use.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode


class GraphConfigError(ValueError):
    """The Graph part of the environment is wrong; `problems` lists every problem, one line each.
    (Its own class, not bot.config.ConfigError, so bot.config can import this module.)"""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$")
_HOST = re.compile(r"^[a-zA-Z0-9.-]+(:[0-9]{1,5})?$")
_THUMBPRINT = re.compile(r"^[0-9a-fA-F]{40}$")


def is_guid(value: str) -> bool:
    return bool(_GUID.match(value))


def is_tenant_id(value: str) -> bool:
    """A customer tenant as Entra ID names it: a GUID or a verified domain (contoso.onmicrosoft.com)."""
    return bool(_GUID.match(value) or _DOMAIN.match(value))


@dataclass(frozen=True, slots=True)
class GraphSettings:
    endpoint: str = "https://graph.microsoft.com"
    authority_host: str = "login.microsoftonline.com"
    client_id: str = ""
    client_secret: str | None = field(default=None, repr=False)
    certificate_path: str | None = None
    certificate_thumbprint: str | None = None
    teams_app_id: str | None = None
    verify: bool | str = True  # False, True or a CA bundle path (tests: the stand-in's self-signed certificate)

    @property
    def api_base(self) -> str:
        return f"{self.endpoint}/v1.0"

    @property
    def scope(self) -> str:
        return f"{self.endpoint}/.default"

    def authority(self, tenant_id: str) -> str:
        return f"https://{self.authority_host}/{tenant_id}"

    def admin_consent_url(self, tenant_id: str = "organizations", redirect_uri: str | None = None) -> str:
        """The address a customer's Global Administrator (or Privileged Role Administrator)
        opens to grant the app's configured application permissions in their tenant."""
        params = {"client_id": self.client_id}
        if redirect_uri:
            params["redirect_uri"] = redirect_uri
        return f"https://{self.authority_host}/{quote(tenant_id, safe='')}/adminconsent?{urlencode(params)}"

    @staticmethod
    def from_env(env: Mapping[str, str] | None = None) -> GraphSettings | None:
        """None when Graph is off (no GRAPH_CLIENT_ID and no MicrosoftAppId, or the bot's app id
        without a secret, e.g. a managed identity). Raises GraphConfigError listing every problem."""
        source = dict(os.environ if env is None else env)
        problems: list[str] = []

        def get(name: str, default: str = "") -> str:
            return (source.get(name) or default).strip()

        bot_app_id = get("MicrosoftAppId")
        explicit_id = get("GRAPH_CLIENT_ID")
        client_id = explicit_id or bot_app_id
        if not client_id:
            return None
        if not _GUID.match(client_id):
            problems.append("GRAPH_CLIENT_ID (or MicrosoftAppId) must be the Entra app registration's id (a GUID)")
        secret = get("GRAPH_CLIENT_SECRET")
        if not secret and client_id == bot_app_id:
            secret = get("MicrosoftAppPassword")  # the bot's own secret, only for the bot's own app id
        certificate_path = get("GRAPH_CERTIFICATE_PATH") or None
        thumbprint = get("GRAPH_CERTIFICATE_THUMBPRINT").replace(":", "") or None
        if certificate_path and not Path(certificate_path).is_file():
            problems.append(f"GRAPH_CERTIFICATE_PATH {certificate_path!r} is not a readable file (PEM with the private key, or .pfx)")
        if thumbprint and not _THUMBPRINT.match(thumbprint):
            problems.append("GRAPH_CERTIFICATE_THUMBPRINT must be the certificate's SHA-1 thumbprint (40 hex digits)")
        if not secret and not certificate_path:
            if not explicit_id:
                return None  # the bot runs without a secret (managed identity): Graph stays off
            problems.append("GRAPH_CLIENT_ID is set but neither GRAPH_CLIENT_SECRET nor GRAPH_CERTIFICATE_PATH is")
        endpoint = get("GRAPH_ENDPOINT", "https://graph.microsoft.com").rstrip("/").removesuffix("/v1.0").removesuffix("/beta")
        if not endpoint.startswith("https://"):
            problems.append("GRAPH_ENDPOINT must be an https:// address, e.g. https://graph.microsoft.com")
        authority_host = get("GRAPH_AUTHORITY_HOST", "login.microsoftonline.com").removeprefix("https://").rstrip("/")
        if not _HOST.match(authority_host):
            problems.append("GRAPH_AUTHORITY_HOST must be a host name, e.g. login.microsoftonline.com")
        teams_app_id = get("TEAMS_APP_ID") or None
        if teams_app_id and not _GUID.match(teams_app_id):  # catalog ids are GUIDs
            problems.append("TEAMS_APP_ID must be the app's id in the organisation's app catalog (a GUID)")
        verify: bool | str = True
        ca_bundle = get("GRAPH_CA_BUNDLE")
        if ca_bundle:
            if not Path(ca_bundle).is_file():
                problems.append(f"GRAPH_CA_BUNDLE {ca_bundle!r} is not a readable file")
            verify = ca_bundle
        if problems:
            raise GraphConfigError(problems)
        return GraphSettings(
            endpoint=endpoint,
            authority_host=authority_host,
            client_id=client_id,
            client_secret=None if certificate_path else secret or None,
            certificate_path=certificate_path,
            certificate_thumbprint=thumbprint,
            teams_app_id=teams_app_id,
            verify=verify,
        )
