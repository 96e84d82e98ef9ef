"""A local HTTPS stand-in for Entra ID's token endpoint and the Microsoft Graph calls the bot
makes, on 127.0.0.1 with a self-signed certificate made at test time.

Entra ID side: /{tenant}/v2.0/.well-known/openid-configuration (msal's tenant discovery) and
/{tenant}/oauth2/v2.0/token (client credentials with a secret or a certificate assertion,
which is verified against the registered certificate). Graph side: /v1.0/subscribedSkus,
/v1.0/users/{id}, /v1.0/users/{id}/licenseDetails, and the app installation endpoints. The
tenant of a Graph call is the one its bearer token was issued for. Every request is recorded
with its arrival time; faults (429, 503, 403...) can be queued per path.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import secrets
import ssl
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# SKUs as the licensing reference names them: part number -> (skuId, [(servicePlanId, servicePlanName)])
SKU_CATALOG: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "MCOEV": ("e43b5b99-8dfb-405f-9987-dc307f34bcbd", [("4828c8ec-dc2e-4779-b502-87ac9ce28ab7", "MCOEV")]),
    "SPE_E5": ("06ebc4ee-1bb5-47dd-8120-11324bc54e06", [
        ("4828c8ec-dc2e-4779-b502-87ac9ce28ab7", "MCOEV"), ("57ff2da0-773e-42df-b2af-ffb7a2317929", "TEAMS1"),
        ("efb87545-963c-4e0d-99df-69c6916d9eb0", "EXCHANGE_S_ENTERPRISE")]),
    "M365EDU_A5_FACULTY": ("e97c048c-37a4-45fb-ab50-922fbf07a370", [
        ("4828c8ec-dc2e-4779-b502-87ac9ce28ab7", "MCOEV"), ("57ff2da0-773e-42df-b2af-ffb7a2317929", "TEAMS1")]),
    "ENTERPRISEPACK": ("6fd2c87f-b296-42f0-b197-1e91e994b900", [
        ("57ff2da0-773e-42df-b2af-ffb7a2317929", "TEAMS1"), ("efb87545-963c-4e0d-99df-69c6916d9eb0", "EXCHANGE_S_ENTERPRISE")]),
    "O365_BUSINESS_PREMIUM": ("f245ecc8-75af-4f8e-b61f-27d8114de5f3", [("57ff2da0-773e-42df-b2af-ffb7a2317929", "TEAMS1")]),
    "MCOCAP": ("295a8eb0-f78d-45c7-8b5b-1eed5ed02dff", [
        ("4828c8ec-dc2e-4779-b502-87ac9ce28ab7", "MCOEV"), ("57ff2da0-773e-42df-b2af-ffb7a2317929", "TEAMS1")]),
    "PHONESYSTEM_VIRTUALUSER": ("440eaaa8-b3e0-484b-a8be-62870b9ba70a", [("f47330e9-c134-43b3-9993-e7f004506889", "MCOEV_VIRTUALUSER")]),
}


def plan_id(part: str, name: str) -> str:
    return next(pid for pid, pname in SKU_CATALOG[part][1] if pname == name)


@dataclass
class User:
    name: str
    licences: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # (sku part, disabled plan names)


@dataclass
class Tenant:
    id: str
    purchased: dict[str, tuple[int, int]] = field(default_factory=dict)  # sku part -> (enabled, consumed)
    users: dict[str, User] = field(default_factory=dict)
    catalog: set[str] = field(default_factory=set)  # Teams app ids in the org catalog
    installations: dict[str, dict[str, str]] = field(default_factory=dict)  # user -> {id, appId, chatId}
    token_error: dict[str, Any] | None = None  # answered (HTTP 400) by the token endpoint
    denied: set[str] = field(default_factory=set)  # "install", "directory", "licenseDetails"
    hide_new_installations: int = 0  # list calls that do not show a new installation yet (eventual consistency)


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int
    times: int
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    tenant: str | None
    at: float


def make_certificate(directory: Path, *, rsa_key: bool = False, name: str = "127.0.0.1") -> tuple[Path, Path, str]:
    """A self-signed certificate for 127.0.0.1 (and localhost): returns (cert.pem, key.pem, combined.pem path)."""
    key: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048) if rsa_key else ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject).public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=rsa_key, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    cert_path, key_path, both_path = directory / "cert.pem", directory / "key.pem", directory / "both.pem"
    cert_path.write_bytes(cert_pem)
    key_path.write_bytes(key_pem)
    both_path.write_bytes(key_pem + cert_pem)
    return cert_path, key_path, str(both_path)


class GraphStandIn:
    def __init__(self, cert_path: Path, key_path: Path, *, client_id: str, client_secret: str | None = None,
                 client_certificate: Path | None = None) -> None:
        self.cert_path, self.key_path = cert_path, key_path
        self.client_id = client_id
        self.client_secret = client_secret
        self.client_public_key = (
            x509.load_pem_x509_certificate(client_certificate.read_bytes()).public_key() if client_certificate else None
        )
        self.tenants: dict[str, Tenant] = {}
        self.tokens: dict[str, str] = {}  # access token -> tenant
        self.token_requests: list[dict[str, str]] = []
        self.discovery_requests: list[str] = []
        self.graph: list[Seen] = []
        self.faults: list[Fault] = []
        self.assertion_headers: list[dict[str, Any]] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- set-up ---------------------------------------------------------------------------------

    def tenant(self, tenant_id: str, **kwargs: Any) -> Tenant:
        self.tenants[tenant_id] = Tenant(tenant_id, **kwargs)
        return self.tenants[tenant_id]

    def fail(self, method: str, path: str, status: int, *, times: int = 1, retry_after: str | None = None,
             code: str = "", message: str = "") -> None:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        body = {"error": {"code": code or {429: "TooManyRequests", 503: "ServiceUnavailable"}.get(status, "Error"),
                          "message": message or "stand-in fault"}}
        self.faults.append(Fault(method, re.compile(path), status, times, headers, body))

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def requests_to(self, pattern: str, method: str | None = None) -> list[Seen]:
        return [s for s in self.graph if re.search(pattern, s.path) and (method is None or s.method == method)]

    def tokens_for(self, tenant_id: str) -> int:
        return sum(1 for r in self.token_requests if r["tenant"] == tenant_id)

    # -- server ---------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._discovery)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_route("*", "/v1.0/{tail:.*}", self._graph)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_path, self.key_path)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # -- Entra ID -------------------------------------------------------------------------------

    async def _discovery(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        self.discovery_requests.append(tenant)
        if tenant not in self.tenants:
            return web.json_response({"error": "invalid_tenant", "error_description": f"AADSTS90002: Tenant '{tenant}' not found.",
                                      "error_codes": [90002]}, status=400)
        issuer = f"{self.base}/{tenant}/v2.0"
        return web.json_response({
            "issuer": issuer,
            "authorization_endpoint": f"{self.base}/{tenant}/oauth2/v2.0/authorize",
            "token_endpoint": f"{self.base}/{tenant}/oauth2/v2.0/token",
            "jwks_uri": f"{self.base}/{tenant}/discovery/v2.0/keys",
            "response_types_supported": ["code", "id_token", "token"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
        })

    async def _token(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        form = await request.post()
        self.token_requests.append({"tenant": tenant, "grant_type": str(form.get("grant_type")), "scope": str(form.get("scope"))})

        def refuse(code: int, error: str, text: str) -> web.Response:
            return web.json_response({"error": error, "error_description": f"AADSTS{code}: {text}", "error_codes": [code]}, status=400)

        if form.get("grant_type") != "client_credentials" or form.get("client_id") != self.client_id:
            return refuse(700016, "unauthorized_client", "Application not found in the directory.")
        if self.client_public_key is not None:
            assertion = str(form.get("client_assertion") or "")
            try:
                self.assertion_headers.append(jwt.get_unverified_header(assertion))
                claims = jwt.decode(assertion, self.client_public_key, algorithms=["PS256", "RS256"],  # type: ignore[arg-type]
                                    audience=f"{self.base}/{tenant}/oauth2/v2.0/token")
            except jwt.PyJWTError:
                return refuse(700027, "invalid_client", "Client assertion failed signature validation.")
            if claims.get("iss") != self.client_id or claims.get("sub") != self.client_id:
                return refuse(700027, "invalid_client", "Client assertion has the wrong issuer.")
        elif form.get("client_secret") != self.client_secret:
            return refuse(7000215, "invalid_client", "Invalid client secret provided.")
        data = self.tenants.get(tenant)
        if data is None:
            return refuse(90002, "invalid_request", "Tenant not found.")
        if data.token_error is not None:
            return web.json_response(data.token_error, status=400)
        token = secrets.token_urlsafe(32)
        self.tokens[token] = tenant
        return web.json_response({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token})

    # -- Graph ----------------------------------------------------------------------------------

    async def _graph(self, request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization", "")
        tenant_id = self.tokens.get(auth.removeprefix("Bearer ")) if auth.startswith("Bearer ") else None
        path = "/" + request.match_info["tail"]
        self.graph.append(Seen(request.method, path, dict(request.query), tenant_id, time.monotonic()))
        for fault in self.faults:
            if fault.times > 0 and fault.method == request.method and fault.path.search(path):
                fault.times -= 1
                return web.json_response(fault.body, status=fault.status, headers=fault.headers)
        if tenant_id is None:
            return _error(401, "InvalidAuthenticationToken", "Access token validation failure.")
        tenant = self.tenants[tenant_id]
        if request.method == "GET" and path == "/subscribedSkus":
            if "directory" in tenant.denied:
                return _error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
            return web.json_response({"value": [self._sku(part, units) for part, units in tenant.purchased.items()]})
        match = re.fullmatch(r"/users/([^/]+)(/.*)?", path)
        if not match:
            return _error(400, "BadRequest", "Unsupported in the stand-in.")
        user_id, rest = match.group(1), match.group(2) or ""
        user = tenant.users.get(user_id)
        if rest == "" and request.method == "GET":
            if "directory" in tenant.denied:
                return _error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
            if user is None:
                return _error(404, "Request_ResourceNotFound", f"Resource '{user_id}' does not exist.")
            body: dict[str, Any] = {"id": user_id, "displayName": user.name,
                                    "assignedLicenses": [{"skuId": SKU_CATALOG[part][0],
                                                          "disabledPlans": [plan_id(part, n) for n in disabled]}
                                                         for part, disabled in user.licences]}
            wanted = request.query.get("$select")
            if wanted:
                body = {k: v for k, v in body.items() if k in wanted.split(",")}
            return web.json_response(body)
        if rest == "/licenseDetails" and request.method == "GET":
            if "directory" in tenant.denied or "licenseDetails" in tenant.denied:
                return _error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
            if user is None:
                return _error(404, "Request_ResourceNotFound", f"Resource '{user_id}' does not exist.")
            return web.json_response({"value": [self._licence(part, disabled) for part, disabled in user.licences]})
        if rest.startswith("/teamwork/installedApps"):
            return await self._installed_apps(request, tenant, user_id, user, rest)
        return _error(400, "BadRequest", "Unsupported in the stand-in.")

    async def _installed_apps(self, request: web.Request, tenant: Tenant, user_id: str, user: User | None, rest: str) -> web.Response:
        if "install" in tenant.denied:
            return _error(403, "Forbidden", "Missing role permissions on the request. API requires one of "
                          "'TeamsAppInstallation.ReadWriteSelfForUser.All, TeamsAppInstallation.ReadWriteForUser.All'. Roles on the request ''.")
        if user is None:
            return _error(404, "NotFound", f"User not found: {user_id}")
        installed = tenant.installations.get(user_id)
        if rest == "/teamwork/installedApps" and request.method == "POST":
            body = await request.json()
            bind = str(body.get("teamsApp@odata.bind", ""))
            if not bind.startswith(f"{self.base}/v1.0/appCatalogs/teamsApps/"):
                return _error(400, "BadRequest", "Invalid teamsApp binding.")
            app_id = bind.rsplit("/", 1)[-1]
            if app_id not in tenant.catalog:
                return _error(404, "NotFound", f"The teams app with id {app_id} was not found in the catalog.")
            if installed is not None:
                return _error(409, "Conflict", "App is already installed.")
            tenant.installations[user_id] = {"id": f"inst-{uuid.uuid4().hex[:12]}", "appId": app_id,
                                             "chatId": f"19:{user_id}_bot@unq.gbl.spaces", "new": "1"}
            return web.Response(status=201)
        if rest == "/teamwork/installedApps" and request.method == "GET":
            wanted = re.fullmatch(r"teamsApp/id eq '([^']*)'", request.query.get("$filter", ""))
            if installed is None or (wanted and wanted.group(1) != installed["appId"]):
                return web.json_response({"value": []})
            if installed.get("new") and tenant.hide_new_installations > 0:
                tenant.hide_new_installations -= 1
                return web.json_response({"value": []})
            item: dict[str, Any] = {"id": installed["id"]}
            if request.query.get("$expand") == "teamsApp":
                item["teamsApp"] = {"id": installed["appId"], "displayName": "Activation bot", "distributionMethod": "organization"}
            return web.json_response({"value": [item]})
        chat = re.fullmatch(r"/teamwork/installedApps/([^/]+)/chat", rest)
        if chat and request.method == "GET":
            if installed is None or installed["id"] != chat.group(1):
                return _error(404, "NotFound", "Installation not found.")
            return web.json_response({"id": installed["chatId"], "chatType": "oneOnOne", "tenantId": tenant.id})
        return _error(400, "BadRequest", "Unsupported in the stand-in.")

    @staticmethod
    def _sku(part: str, units: tuple[int, int]) -> dict[str, Any]:
        sku_id, plans = SKU_CATALOG[part]
        return {
            "id": f"tenant_{sku_id}", "skuId": sku_id, "skuPartNumber": part, "appliesTo": "User", "capabilityStatus": "Enabled",
            "consumedUnits": units[1], "prepaidUnits": {"enabled": units[0], "suspended": 0, "warning": 0, "lockedOut": 0},
            "servicePlans": [{"servicePlanId": pid, "servicePlanName": name, "provisioningStatus": "Success", "appliesTo": "User"}
                             for pid, name in plans],
        }

    @staticmethod
    def _licence(part: str, disabled: tuple[str, ...]) -> dict[str, Any]:
        sku_id, plans = SKU_CATALOG[part]
        return {
            "id": secrets.token_urlsafe(8), "skuId": sku_id, "skuPartNumber": part,
            "servicePlans": [{"servicePlanId": pid, "servicePlanName": name, "appliesTo": "User",
                              "provisioningStatus": "Disabled" if name in disabled else "Success"} for pid, name in plans],
        }


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message,
                                        "innerError": {"request-id": str(uuid.uuid4()), "date": "2026-11-26T15:00:00"}}},
                             status=status)
