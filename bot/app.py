"""The one place that wires the bot together: settings -> store -> service -> Teams edge ->
aiohttp application. Nothing runs at import; `create_app` builds, aiohttp's start-up and
clean-up hooks open and close what needs it."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast
from urllib.parse import quote

from aiohttp import web
from botbuilder.core import PrivateConversationState, UserState
from botbuilder.integration.aiohttp import CloudAdapter
from botframework.connector.auth import ServiceClientCredentialsFactory

from bot import json_codec
from bot.config import Settings
from bot.delivery.budget import SendBudget
from bot.delivery.delivery import Delivery
from bot.delivery.limits import DeliveryError, Messenger, PacedMessenger, RetryPolicy, SendLimits
from bot.delivery.outbox import OutboxSender
from bot.delivery.reach import Reach
from bot.document_service import DocumentService
from bot.domain.playbook import PlaybookLibrary, load_playbooks
from bot.domain.project import ConversationTarget
from bot.export import history_csv, sign_link, verify_link
from bot.graph.client import GraphClient
from bot.scheduled import ScheduledWork, Scheduler
from bot.service import ActivationService, utc_now
from bot.storage.contract import Store
from bot.storage.documents import open_document_store
from bot.storage.people import PersonRecords
from bot.storage.sqlite_store import SqliteStore
from bot.storage.staff import StaffDirectory
from bot.teams.handler import ActivationBot
from bot.teams.messenger import BotbuilderMessenger
from bot.teams.signing_keys import SigningKeysUnavailable
from bot.teams.state_storage import StoreBackedBotState
from bot.teams.tokens import TeamsBotAuthentication, Unauthorized, bearer_token, build_authentication
from bot.telemetry import Telemetry, TracedMessenger, TracedStore, set_log_context

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 256 * 1024
# Container platforms kill a process about 30 s after SIGTERM; ours ends within about 6 s, even
# with every send stuck on a connector that never answers. A request in flight gets
# SHUTDOWN_REQUEST_SECONDS (aiohttp's shutdown_timeout; a handler stuck on a send holds it twice
# that: aiohttp waits, cancels the request's body, waits again, then cancels the handler).
# Deliveries get SHUTDOWN_DRAIN_SECONDS from SIGTERM, then stop and leave what they had not sent
# owed, their lease given back: the next process sends it at start-up.
SHUTDOWN_REQUEST_SECONDS = 2.0
SHUTDOWN_DRAIN_SECONDS = 5.0
READY_TIMEOUT_SECONDS = 3.0  # /readyz: a store slower than this counts as not answering
TELEMETRY_SAMPLE_SECONDS = 60.0  # outbox depth and digest lag, read from the store


async def open_store(settings: Settings) -> Store:
    if settings.cosmos_endpoint:
        from bot.storage.cosmos_store import open_cosmos_store

        return await open_cosmos_store(settings.cosmos_endpoint, settings.cosmos_key or None, settings.cosmos_database)
    store = SqliteStore(settings.data_dir / "activation.sqlite3")
    await store.open()
    return store


@dataclass(slots=True)
class Runtime:
    """Everything built from the settings, reachable from the aiohttp app for tests and jobs."""

    settings: Settings
    library: PlaybookLibrary
    store: Store
    service: ActivationService
    adapter: CloudAdapter
    bot: ActivationBot
    delivery: Delivery
    scheduler: Scheduler
    clock: Callable[[], datetime]
    graph: GraphClient | None = None
    documents: DocumentService | None = None
    # The bot's own record of the last activities it accepted (tests and troubleshooting), bounded.
    received: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=200))
    telemetry: Telemetry = field(default_factory=Telemetry.disabled)

    async def settle(self) -> None:
        """Wait for the background deliveries (tests and jobs)."""
        await self.delivery.settle()

    def stopping(self) -> None:
        """Shutdown began (SIGTERM): the scheduler starts no new run, and the deliveries' few
        seconds count from now."""
        self.scheduler.stop()
        self.delivery.stop_within(SHUTDOWN_DRAIN_SECONDS)

    async def close(self) -> None:
        """Give deliveries in flight a few seconds, then close every connection the runtime opened."""
        await self.delivery.stop(SHUTDOWN_DRAIN_SECONDS)
        if self.graph is not None:
            await self.graph.close()
        if self.documents is not None:
            await self.documents.close()
        authentication = self.adapter.bot_framework_authentication
        if isinstance(authentication, TeamsBotAuthentication):
            await authentication.close()
        await self.store.close()


RUNTIME_KEY = web.AppKey("runtime", Runtime)


async def build_runtime(settings: Settings, *, clock: Callable[[], datetime] = utc_now,
                        library: PlaybookLibrary | None = None,
                        credentials_factory: ServiceClientCredentialsFactory | None = None,
                        telemetry: Telemetry | None = None) -> Runtime:
    library = library or load_playbooks()
    telemetry = telemetry or Telemetry(enabled=bool(settings.appinsights_connection_string))
    store = await open_store(settings)
    if telemetry.enabled:
        store = cast(Store, TracedStore(store, telemetry))
    # botbuilder's Bot Framework token validation, wrapped: bad tokens are 401s, key fetches are
    # async and refreshed on unknown key ids (bot/teams/tokens.py, signing_keys.py). `credentials_factory`
    # replaces botbuilder's outbound credentials (tests pass one that needs no network); `auth.connector`
    # is the one path to the Bot Connector, for botbuilder's clients and the messenger's REST calls alike.
    auth = build_authentication(app_id=settings.app_id, app_password=settings.app_password, app_type=settings.app_type,
                                app_tenant_id=settings.app_tenant_id, openid_metadata_url=settings.openid_metadata_url,
                                credentials_factory=credentials_factory)
    adapter = CloudAdapter(auth)
    bot_state = StoreBackedBotState(store)
    # One budget for the deployment, shared out equally by its SEND_SHARES processes (bot/delivery/budget.py).
    limits: SendLimits = SendBudget(settings.send_interval, settings.tenant_send_rate, settings.send_shares).limits()
    direct = BotbuilderMessenger(adapter, settings.app_id, auth.connector)
    # With telemetry, each request to the connector is a span and a counted outcome.
    connector_messenger: Messenger = TracedMessenger(direct, telemetry) if telemetry.enabled else direct
    messenger = PacedMessenger(connector_messenger, limits, RetryPolicy())
    graph = GraphClient(settings.graph) if settings.graph else None
    sender = OutboxSender(store, library, messenger, is_staff_pm=settings.is_staff_pm, clock=clock, graph=graph)
    delivery = Delivery(store, sender)
    service = ActivationService(store, library, is_staff_pm=settings.is_staff_pm, clock=clock)
    scheduler = Scheduler(ScheduledWork(store, library, messenger, clock=clock,
                                        escalate_after_days=settings.escalate_after_days), delivery)

    docs = settings.documents
    document_store = await open_document_store(settings.data_dir, docs.blob_account_url, docs.blob_account_key, docs.blob_container)
    documents = DocumentService(service, document_store, docs, clock, settings.public_url)
    reach = Reach(PersonRecords(store), messenger)

    async def private_send(person_id: str, teams_id: str | None, via: ConversationTarget, answer: dict[str, Any] | str) -> bool:
        """A reply meant for one person, in their 1:1 chat (issue 18); False when they cannot be reached."""
        try:
            target = await reach.conversation(person_id, teams_id=teams_id, via=via, tenant_id=via.tenant_id, install=False)
            if target is None:
                return False
            await (direct.send_text(target, answer) if isinstance(answer, str) else messenger.send(target, answer))
        except DeliveryError:
            return False
        return True

    async def export_link(project_id: str, requester_id: str) -> str:
        token = sign_link(await service.export_secret(), project_id, requester_id, clock())
        return f"{settings.public_url}/api/exports/{token}"

    bot = ActivationBot(
        service,
        PrivateConversationState(bot_state),
        UserState(bot_state),
        tenant_allowed=settings.tenant_allowed,
        deliver_soon=delivery.deliver_soon,
        clock=clock,
        export_link=export_link,
        documents=documents,
        staff=StaffDirectory(store, settings_pms=settings.pm_aad_ids, settings_admins=settings.bot_admin_aad_ids,
                             staff_tenant=settings.staff_tenant_id),
        graph=graph,
        private_send=private_send,
    )
    adapter.on_turn_error = _on_turn_error
    return Runtime(settings, library, store, service, adapter, bot, delivery, scheduler, clock, graph, documents=documents,
                   telemetry=telemetry)


async def _on_turn_error(context: Any, error: Exception) -> None:
    """Last resort: log without secrets, tell the user briefly; never leak exception text."""
    import uuid

    from bot.domain.catalogue import t
    from bot.domain.text import parse_language

    reference = uuid.uuid4().hex[:8]
    log.error("unhandled error in turn (ref %s): %s", reference, type(error).__name__, exc_info=error)
    with contextlib.suppress(Exception):
        if context.activity.type == "message":
            await context.send_activity(t("error.try_again", parse_language(context.activity.locale), ref=reference))


async def _invoke_failed(context: Any, error: Exception) -> None:
    import uuid

    from botbuilder.core import InvokeResponse
    from botbuilder.schema import Activity

    from bot.domain.catalogue import t
    from bot.domain.text import parse_language

    reference = uuid.uuid4().hex[:8]
    log.error("unhandled error in invoke (ref %s): %s", reference, type(error).__name__, exc_info=error)
    message = t("error.try_again", parse_language(context.activity.locale), ref=reference)
    body = {"statusCode": 500, "type": "application/vnd.microsoft.error", "value": {"code": "InternalServerError", "message": message}}
    await context.send_activity(Activity(type="invokeResponse", value=InvokeResponse(status=200, body=body)))


def _unauthorized(reason: str) -> web.Response:
    log.warning("request refused (401): %s", reason)  # a fixed phrase: never the token or its claims
    return web.json_response({"error": "unauthorized"}, status=401, headers={"WWW-Authenticate": "Bearer"})


async def _read_body(request: web.Request) -> bytes | None:
    """The whole body, or None past MAX_BODY_BYTES (chunked bodies too: read() returns what has
    arrived, not everything, so one read would cut a body at its first chunk)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(MAX_BODY_BYTES + 1 - size)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None


async def messages(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME_KEY]
    auth_header = request.headers.get("Authorization", "")
    if not runtime.settings.anonymous and bearer_token(auth_header) is None:
        return _unauthorized("missing or malformed Authorization header")  # before reading the body
    if "application/json" not in request.headers.get("Content-Type", ""):
        return web.json_response({"error": "Content-Type must be application/json"}, status=415)
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return web.json_response({"error": "request body too large"}, status=413)
    try:
        raw = await _read_body(request)
    except Exception:  # noqa: BLE001
        return web.json_response({"error": "unreadable body"}, status=400)
    if raw is None:
        return web.json_response({"error": "request body too large"}, status=413)
    try:
        body = json_codec.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return web.json_response({"error": "body is not JSON"}, status=400)
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        return web.json_response({"error": "body is not an activity"}, status=400)
    from botbuilder.schema import Activity

    try:
        activity = Activity().deserialize(body)
    except Exception:  # noqa: BLE001 - msrest raises many kinds on bad shapes
        return web.json_response({"error": "malformed activity"}, status=400)
    if not activity.conversation or not activity.conversation.id or not activity.service_url or activity.recipient is None:
        # No recipient, no bot to answer as: botbuilder's replies and mention handling need it.
        return web.json_response({"error": "activity needs conversation.id, recipient and serviceUrl"}, status=400)
    try:
        authenticated = await runtime.adapter.bot_framework_authentication.authenticate_request(activity, auth_header or None)
    except Unauthorized as refused:
        return _unauthorized(refused.reason)
    except SigningKeysUnavailable:
        log.warning("request deferred (503): the Bot Framework signing keys cannot be fetched")
        return web.json_response({"error": "cannot check the token now"}, status=503, headers={"Retry-After": "10"})
    # After the token check (a token names its channel): botbuilder keys its bot state by the
    # channel id and reads every entity's type.
    if not activity.channel_id:
        return web.json_response({"error": "activity needs channelId"}, status=400)
    if any(entity is None or not isinstance(entity.type, str) for entity in activity.entities or []):
        return web.json_response({"error": "activity entities must be objects"}, status=400)
    runtime.received.append(body)  # authenticated activities only
    _observe_turn(runtime, activity)

    async def logic(turn_context: Any) -> None:
        try:
            await runtime.bot.on_turn(turn_context)
        except Exception as error:
            if turn_context.activity.type != "invoke":
                raise  # the adapter's _on_turn_error apologises with a reference
            # An invoke must still get its typed answer (not botbuilder's bodiless 501), with a reference only.
            await _invoke_failed(turn_context, error)

    invoke_response = await runtime.adapter.process_activity(authenticated, activity, logic)
    if activity.type == "invoke" and (invoke_response is None or (invoke_response.status >= 500 and invoke_response.body is None)):
        # botbuilder answers invokes nobody handles (task/fetch, composeExtension/*, ... - none in our
        # manifest) with a bodiless 501: answer with a typed client error instead of a server error.
        return web.json_response({"statusCode": 400, "type": "application/vnd.microsoft.error",
                                  "value": {"code": "NotSupported", "message": "this bot does not handle that invoke"}})
    if invoke_response:
        return web.Response(body=json_codec.dumps(invoke_response.body), status=invoke_response.status,
                            content_type="application/json")
    return web.Response(status=201)


async def export_download(request: web.Request) -> web.Response:
    """The CSV behind a signed, short-lived link made for a PM by the "export" command."""
    runtime = request.app[RUNTIME_KEY]
    project_id = verify_link(await runtime.service.export_secret(), request.match_info["token"], runtime.clock())
    if project_id is None:
        return web.json_response({"error": "link expired or not valid"}, status=404)
    current = await runtime.store.load_project(project_id)
    if current is None:
        return web.json_response({"error": "project not found"}, status=404)
    events = await runtime.store.project_events(project_id)
    body = history_csv(current.value, events, runtime.library)
    return web.Response(text=body, content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="activation-{project_id}.csv"'})


async def document_download(request: web.Request) -> web.StreamResponse:
    """An uploaded document behind a signed, short-lived link made for one person (cards/documents.py)."""
    runtime = request.app[RUNTIME_KEY]
    if runtime.documents is None:
        return web.json_response({"error": "not found"}, status=404)
    opened = await runtime.documents.open_link(request.match_info["token"])
    if opened.status != 200 or opened.meta is None or opened.chunks is None or opened.upload is None:
        message = "not allowed" if opened.status == 403 else "link expired or not valid"
        return web.json_response({"error": message}, status=opened.status)
    filename = quote(opened.upload.name)
    response = web.StreamResponse(headers={
        "Content-Type": opened.meta.content_type, "Content-Length": str(opened.meta.size),
        "Content-Disposition": f"attachment; filename*=UTF-8''{filename}", "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    })
    await response.prepare(request)
    async for chunk in opened.chunks:
        await response.write(chunk)
    await response.write_eof()
    return response
def _observe_turn(runtime: Runtime, activity: Any) -> None:
    """Ids for this turn's log lines (no names, no text), and a click counted."""
    value = activity.value if isinstance(activity.value, dict) else {}
    action = value.get("action") if activity.type == "invoke" else None
    data = action.get("data") if isinstance(action, dict) else value  # any shape: the turn decides what is valid
    project = data.get("p") if isinstance(data, dict) and isinstance(data.get("p"), str) else None
    tenant = (activity.conversation.tenant_id if activity.conversation else None) or None
    set_log_context(activity_id=activity.id, tenant_id=tenant, project_id=project)
    if activity.type == "invoke" and activity.name == "adaptiveCard/action":
        runtime.telemetry.click("execute")
    elif activity.type == "message" and value:
        runtime.telemetry.click("submit")


async def readyz(request: web.Request) -> web.Response:
    """Readiness: 200 only while the store answers (a point read of a key nobody writes), 503
    with the reason otherwise. Liveness stays /healthz: a store outage must not restart us."""
    runtime = request.app[RUNTIME_KEY]
    try:
        await asyncio.wait_for(runtime.store.read_document("readyz|probe"), READY_TIMEOUT_SECONDS)
    except TimeoutError:
        reason = f"the {runtime.store.name} store did not answer within {READY_TIMEOUT_SECONDS:g} s"
    except Exception as error:  # noqa: BLE001 - any failure means not ready; the type is the reason
        reason = f"the {runtime.store.name} store failed: {type(error).__name__}"
    else:
        return web.json_response({"status": "ready", "store": runtime.store.name})
    log.warning("not ready: %s", reason)
    return web.json_response({"status": "not ready", "reason": reason}, status=503)


async def _sample_forever(runtime: Runtime) -> None:
    while True:
        try:
            await runtime.telemetry.sample(runtime.store, runtime.clock())
        except Exception as error:  # noqa: BLE001 - a missed sample is not worth an ERROR
            log.warning("telemetry sample failed: %s", type(error).__name__)
        await asyncio.sleep(TELEMETRY_SAMPLE_SECONDS)


async def legal_page(request: web.Request) -> web.Response:
    """/privacy and /terms, the manifest's privacyUrl and termsOfUseUrl, in Spanish or English."""
    from bot.legal import LegalPage, page_language, render

    language = page_language(request.query.get("lang"), request.headers.get("Accept-Language"))
    return web.Response(text=render(LegalPage(request.path.strip("/")), language), content_type="text/html",
                        headers={"Content-Language": language, "Vary": "Accept-Language"})


async def healthz(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME_KEY]
    return web.json_response({
        "status": "ok",
        "store": runtime.store.name,
        "playbooks": list(runtime.library.ids()),
        "anonymous": runtime.settings.anonymous,
    })


def create_app(settings: Settings, *, clock: Callable[[], datetime] = utc_now,
               library: PlaybookLibrary | None = None, scheduler: bool | None = None,
               credentials_factory: ServiceClientCredentialsFactory | None = None,
               telemetry: Telemetry | None = None) -> web.Application:
    telemetry = telemetry or Telemetry(enabled=bool(settings.appinsights_connection_string))
    # With telemetry, aiohttp's server instrumentation (bot/telemetry.py) makes each request a SERVER span.
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/privacy", legal_page)
    app.router.add_get("/terms", legal_page)
    app.router.add_get("/api/exports/{token}", export_download)
    app.router.add_get("/api/documents/{token}", document_download)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        runtime = await build_runtime(settings, clock=clock, library=library, credentials_factory=credentials_factory,
                                      telemetry=telemetry)
        app[RUNTIME_KEY] = runtime
        sampler = asyncio.get_running_loop().create_task(_sample_forever(runtime)) if telemetry.enabled else None
        sweeper = None
        if settings.scheduler_enabled if scheduler is None else scheduler:
            sweeper = asyncio.get_running_loop().create_task(runtime.scheduler.run_forever())
        yield
        runtime.stopping()  # once serving, on_shutdown did already (it is idempotent)
        if sweeper:
            # The run in progress may finish its sends in the deliveries' time, then it is cancelled
            # (its drains give their leases back).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(sweeper), runtime.delivery.time_left(SHUTDOWN_DRAIN_SECONDS))
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
        if sampler:
            sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampler
        await runtime.close()

    async def stopping(app: web.Application) -> None:
        app[RUNTIME_KEY].stopping()  # before aiohttp waits for the requests in flight

    app.cleanup_ctx.append(lifecycle)
    app.on_shutdown.append(stopping)
    return app


# A click allocates thousands of short-lived objects (a project document decoded and encoded
# several times): with CPython's default first-generation threshold of 700, collections ran
# many times per click and re-scanned the long-lived startup objects each time they reached
# the older generations. Measured under 50 clients (tests/bench): p99 down by about a quarter.
SERVING_GC_THRESHOLDS = (5000, 20, 20)


async def settle_memory_for_serving(app: web.Application) -> None:
    """On a serving process's startup, once the runtime is built: move everything alive now
    (modules, playbooks, the runtime) out of the collector's sight for good (`gc.freeze`) and
    collect the young generation less often. Only for `python -m bot`: tests build many apps
    in one process, and frozen objects are never freed."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVING_GC_THRESHOLDS)
