"""The Azure Cosmos DB store (NoSQL API), used when COSMOS_ENDPOINT is configured.

Two containers: `projects` (partition `/projectId`: the project document and one append-only
document per write's events) and `directory` (partition `/pk`: small keyed documents). Writes
are conditional on the etag, as in the SQLite store. With no transaction across documents, a
project document carries its last write's events (`pendingEvents`) until their batch document
exists, and every write stamps a `writeId` so a lost response is settled by reading back: no
event is lost or recorded twice. The layout, the no-loss argument and the costs per operation
are in docs/cosmos.md.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC
from typing import Any
from urllib.parse import urlparse

from azure.core import MatchConditions
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from azure.cosmos import PartitionKey
from azure.cosmos.aio import ContainerProxy, CosmosClient, DatabaseProxy
from azure.cosmos.exceptions import (
    CosmosClientTimeoutError,
    CosmosHttpResponseError,
    CosmosResourceExistsError,
    CosmosResourceNotFoundError,
)

from bot.domain.events import Event
from bot.domain.project import Project
from bot.storage.contract import (
    AlreadyExists,
    ConcurrencyConflict,
    Page,
    ProjectQuery,
    ProjectSummary,
    StoreUnavailable,
    Versioned,
)

log = logging.getLogger(__name__)

PROJECTS = "projects"
DIRECTORY = "directory"
LOCAL_HOSTS = ("127.0.0.1", "localhost")
CROSS_PARTITION_HEADER = "x-ms-documentdb-query-enablecrosspartition"

# Passed to CosmosClient; override any of them with `client_options`.
RETRY_SETTINGS: dict[str, Any] = {
    "retry_throttle_total": 6,  # 429s the SDK retries per request, waiting x-ms-retry-after-ms
    "retry_throttle_backoff_max": 5,  # seconds of 429 waiting per request, in total
    "retry_total": 3,  # connection-level retries per request
    "retry_connect": 2,
    "retry_read": 2,  # the SDK re-sends only reads on read errors (and writes never reached)
    "retry_backoff_factor": 0.3,  # seconds between connection retries (fixed mode)
    "retry_backoff_max": 2,
    "connection_timeout": 3,  # seconds to connect
    "read_timeout": 10,  # seconds to wait for a response
}
OPERATION_TIMEOUT = 15.0  # seconds, one SDK call including its own retries
OPEN_TIMEOUT = 20.0  # seconds for open(): account, database and containers
STORE_ATTEMPTS = 3  # store-level attempts on 5xx/408/transport errors
_BACKOFF = (0.2, 0.5, 1.0)
# What a Cosmos call can raise besides our own errors: SDK/HTTP errors and socket errors.
_HANDLED = (AzureError, OSError)
_TRANSIENT_STATUS = frozenset({408, 449, 500, 502, 503, 504})
_KNOWN_LIMIT = 10_000  # projects whose event-flush state is remembered
BATCH = "events"  # type of the document holding the events of one write

_PROJECT_INDEXING: Any = {
    "indexingMode": "consistent",
    "automatic": True,
    "includedPaths": [{"path": "/*"}],
    "excludedPaths": [
        {"path": "/tasks/*"},
        {"path": "/people/*"},
        {"path": "/outbox/*"},
        {"path": "/pendingEvents/*"},
        {"path": "/events/*"},
        {"path": "/lastForecast/*"},
        {"path": "/data/*"},
        {"path": '/"_etag"/?'},
    ],
}
_DIRECTORY_INDEXING: Any = {
    "indexingMode": "consistent",
    "automatic": True,
    "includedPaths": [{"path": "/kind/?"}],
    "excludedPaths": [{"path": "/*"}, {"path": '/"_etag"/?'}],
}
_SUMMARY_FIELDS = "c.id, c.tenantId, c.customerName, c.pmIds, c.active, c.nextDigestAt, c.outboxCount"
_FORBIDDEN_ID_CHARS = frozenset("/\\?#")


def document_id(key: str) -> str:
    """The Cosmos id (and partition key) of a directory key: safe characters, at most 255."""
    if not key:
        raise ValueError("a directory key cannot be empty")
    encoded = "k." + base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")
    if len(encoded) <= 254:
        return encoded
    return "h." + hashlib.sha256(key.encode()).hexdigest()


def batch_document(project_id: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    """The one document holding the events of one write; its id is the first event's."""
    return {"id": events[0]["id"], "projectId": project_id, "type": BATCH, "events": events}


def _pending_of(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The events of a project document's last write, perhaps not recorded as their batch yet."""
    return list(doc.get("pendingEvents") or [])


def _one_line(text: object, limit: int = 160) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _status(error: BaseException) -> int | None:
    return error.status_code if isinstance(error, CosmosHttpResponseError) else None


def _is_transient(error: BaseException) -> bool:
    """Worth another attempt: the service was busy/failing or the transport broke."""
    if isinstance(error, CosmosHttpResponseError):
        return error.status_code in _TRANSIENT_STATUS or error.status_code == 429
    return isinstance(error, (AzureError, OSError)) and not isinstance(
        error, ClientAuthenticationError
    )


def _describe(error: BaseException) -> str:
    """One line, no traceback: what went wrong talking to Cosmos DB."""
    status = _status(error)
    if status in (401, 403):
        return f"rejected the credentials (HTTP {status}): check COSMOS_KEY or the Entra ID role assignment"
    if status == 429:
        return "kept throttling requests (HTTP 429) beyond the retry budget"
    if status is not None:
        return f"failed with HTTP {status}"
    if isinstance(error, ClientAuthenticationError):
        return f"could not get an Entra ID token ({_one_line(error.message)})"
    if isinstance(error, (CosmosClientTimeoutError, ServiceRequestTimeoutError, ServiceResponseTimeoutError, TimeoutError)):
        return "did not answer in time"
    if isinstance(error, ServiceRequestError):
        inner = getattr(error, "inner_exception", None) or error
        return f"could not be reached ({_one_line(inner)})"
    if isinstance(error, ServiceResponseError):
        inner = getattr(error, "inner_exception", None) or error
        return f"dropped the response ({type(inner).__name__})"
    return f"failed ({type(error).__name__}: {_one_line(error)})"


class CosmosStore:
    """The Store protocol on Azure Cosmos DB through `azure.cosmos.aio`."""

    name = "cosmos"

    def __init__(
        self,
        endpoint: str,
        credential: str | AsyncTokenCredential,
        database: str,
        *,
        connection_verify: bool = True,
        headers: Mapping[str, str] | None = None,
        client_options: Mapping[str, Any] | None = None,
        owns_credential: bool = False,
        open_timeout: float = OPEN_TIMEOUT,
        operation_timeout: float = OPERATION_TIMEOUT,
        attempts: int = STORE_ATTEMPTS,
    ) -> None:
        self.endpoint = endpoint
        self.database_name = database
        self._credential = credential
        self._owns_credential = owns_credential
        self._connection_verify = connection_verify
        self._headers = dict(headers or {})
        self._client_options = {**RETRY_SETTINGS, **dict(client_options or {})}
        self._open_timeout = open_timeout
        self._operation_timeout = operation_timeout
        self._attempts = max(1, attempts)
        self._client: CosmosClient | None = None
        self._database: DatabaseProxy | None = None
        self._projects: ContainerProxy | None = None
        self._directory: ContainerProxy | None = None
        # project id -> (etag, events of that version's write not known to be recorded,
        # whether they are to be recorded one document per event: a pre-batch version)
        self._known: OrderedDict[str, tuple[str, list[dict[str, Any]]]] = OrderedDict()

    @property
    def description(self) -> str:
        return f"cosmos:{self.endpoint.rstrip('/')}/{self.database_name}"

    # -- lifecycle --------------------------------------------------------------------
    async def open(self) -> None:
        if self._client is not None:
            return
        self._check_settings()
        try:
            client = CosmosClient(
                self.endpoint,
                self._credential,
                connection_verify=self._connection_verify,
                headers=self._headers,
                **self._client_options,
            )
        except (ValueError, TypeError) as error:
            raise StoreUnavailable(f"Cosmos DB endpoint {self.endpoint!r} is not usable: {_one_line(error)}") from None
        try:
            await asyncio.wait_for(self._connect(client), self._open_timeout)
        except StoreUnavailable:
            await client.close()
            raise
        except TimeoutError:
            await client.close()
            raise StoreUnavailable(
                f"Cosmos DB at {self.endpoint} did not answer within {self._open_timeout:g} s"
            ) from None
        except Exception as error:  # noqa: BLE001 - every failure at start-up becomes one clear line
            await client.close()
            raise StoreUnavailable(f"Cosmos DB at {self.endpoint} {_describe(error)}") from None
        self._client = client

    def _check_settings(self) -> None:
        parsed = urlparse(self.endpoint)
        if parsed.scheme not in ("https", "http") or not parsed.hostname:
            raise StoreUnavailable(f"Cosmos DB endpoint {self.endpoint!r} is not an https:// address")
        if isinstance(self._credential, str):
            try:
                base64.b64decode(self._credential, validate=True)
            except ValueError:
                raise StoreUnavailable(
                    f"Cosmos DB key for {self.endpoint} is not an account key (base64 expected): check COSMOS_KEY"
                ) from None

    async def _connect(self, client: CosmosClient) -> None:
        await client.__aenter__()  # reads the account: fails fast on a bad endpoint or key
        try:
            database = await client.create_database_if_not_exists(id=self.database_name)
            projects = await database.create_container_if_not_exists(
                id=PROJECTS, partition_key=PartitionKey(path="/projectId"), indexing_policy=_PROJECT_INDEXING
            )
            directory = await database.create_container_if_not_exists(
                id=DIRECTORY, partition_key=PartitionKey(path="/pk"), indexing_policy=_DIRECTORY_INDEXING
            )
        except CosmosHttpResponseError as error:
            if error.status_code != 403:
                raise
            # Entra ID data-plane roles cannot create databases or containers: use existing ones.
            database = client.get_database_client(self.database_name)
            projects = database.get_container_client(PROJECTS)
            directory = database.get_container_client(DIRECTORY)
        for container, path in ((projects, "/projectId"), (directory, "/pk")):
            try:
                properties = await container.read()
            except CosmosResourceNotFoundError:
                raise StoreUnavailable(
                    f"Cosmos DB at {self.endpoint}: database {self.database_name!r} or its containers "
                    f"'{PROJECTS}' (/projectId) and '{DIRECTORY}' (/pk) are missing, and this identity may not "
                    "create them: create them first (docs/cosmos.md)"
                ) from None
            paths = properties.get("partitionKey", {}).get("paths", [])
            if paths != [path]:
                raise StoreUnavailable(
                    f"Cosmos DB container {self.database_name}/{container.id} has partition key {paths}, "
                    f"expected [{path!r}]: recreate it (docs/cosmos.md)"
                )
        self._database, self._projects, self._directory = database, projects, directory

    async def close(self) -> None:
        client, self._client = self._client, None
        self._database = self._projects = self._directory = None
        if client is not None:
            await client.close()
        if self._owns_credential and not isinstance(self._credential, str):
            close = getattr(self._credential, "close", None)
            if close is not None:
                await close()

    def _container(self, which: str) -> ContainerProxy:
        container = self._projects if which == PROJECTS else self._directory
        if container is None:
            raise RuntimeError("store is not open")
        return container

    # -- request helpers --------------------------------------------------------------
    def _unavailable(self, error: BaseException, what: str) -> StoreUnavailable:
        return StoreUnavailable(f"Cosmos DB {_describe(error)} while {what}")

    async def _pause(self, attempt: int) -> None:
        await asyncio.sleep(_BACKOFF[min(attempt, len(_BACKOFF) - 1)])

    async def _read_raw(self, which: str, doc_id: str, partition: str, what: str) -> dict[str, Any] | None:
        """One point read (retried on transient failures); None when missing."""
        container = self._container(which)
        for attempt in range(self._attempts):
            try:
                item = await container.read_item(doc_id, partition_key=partition, timeout=self._operation_timeout)
                return dict(item)
            except CosmosResourceNotFoundError:
                return None
            except _HANDLED as error:
                self._raise_unless_retryable(error, attempt, what)
            await self._pause(attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _raise_unless_retryable(self, error: Exception, attempt: int, what: str) -> None:
        """Re-raise non-transient errors; turn persistent ones into StoreUnavailable."""
        status = _status(error)
        if status in (401, 403) or isinstance(error, ClientAuthenticationError):
            raise self._unavailable(error, what) from None
        if not _is_transient(error):
            raise error
        if status == 429 or attempt + 1 >= self._attempts:
            raise self._unavailable(error, what) from None
        log.warning("Cosmos DB %s while %s; retrying", _describe(error), what)

    async def _write(
        self,
        kind: str,
        which: str,
        body: dict[str, Any],
        partition: str,
        send: Callable[[], Awaitable[Any]],
        *,
        base_etag: str | None,
        on_collision: Callable[[], Exception],
        what: str,
    ) -> str:
        """Send one write and settle its outcome; returns the new etag.

        A 409/412/404 answer, or a lost response, is settled by reading the document back:
        our `writeId` there means our write was applied (possibly by an SDK-internal retry).
        """
        write_id = body["writeId"]
        collisions = (409,) if kind == "create" else (404, 412)
        for attempt in range(self._attempts):
            try:
                result = await send()
                return str(result["_etag"])
            except _HANDLED as error:
                status = _status(error)
                if status in collisions:  # 409 on a create; 412 (stale) or 404 (gone) on a replace
                    current = await self._read_raw(which, body["id"], partition, what)
                    if current is not None and current.get("writeId") == write_id:
                        return str(current["_etag"])
                    raise on_collision() from None
                if status in (401, 403) or isinstance(error, ClientAuthenticationError):
                    raise self._unavailable(error, what) from None
                if not _is_transient(error):
                    raise
                log.warning("Cosmos DB %s while %s; reading back", _describe(error), what)
                current = await self._read_raw(which, body["id"], partition, what)
                if current is not None and current.get("writeId") == write_id:
                    return str(current["_etag"])
                if status == 429:  # throttled (not applied) after the SDK's own waits: give up now
                    raise self._unavailable(error, what) from None
                if kind == "create" and current is not None:
                    raise on_collision() from None
                if kind == "replace" and (current is None or current.get("_etag") != base_etag):
                    raise on_collision() from None
                if attempt + 1 >= self._attempts:
                    raise self._unavailable(error, what) from None
            await self._pause(attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _record_events(self, project_id: str, events: list[dict[str, Any]]) -> bool:
        """Record the events of one write as one batch document; one already there (409) is
        this same one. Returns False when Cosmos kept failing (the events stay pending)."""
        if not events:
            return True
        container = self._container(PROJECTS)
        document = batch_document(project_id, events)
        for attempt in range(self._attempts):
            try:
                await container.create_item(document, timeout=self._operation_timeout)
                return True
            except CosmosResourceExistsError:
                return True
            except _HANDLED as error:
                status = _status(error)
                retryable = _is_transient(error) and status != 429
                if not retryable or attempt + 1 >= self._attempts:
                    log.warning("events of project %s left pending: Cosmos DB %s", project_id, _describe(error))
                    return False
            await self._pause(attempt)
        return True  # pragma: no cover - the loop returns

    def _remember(self, project_id: str, etag: str, unrecorded: list[dict[str, Any]]) -> None:
        self._known[project_id] = (etag, unrecorded)
        self._known.move_to_end(project_id)
        while len(self._known) > _KNOWN_LIMIT:
            self._known.popitem(last=False)

    # -- projects ---------------------------------------------------------------------
    @staticmethod
    def _check_project_id(project_id: str) -> None:
        if not project_id or _FORBIDDEN_ID_CHARS & set(project_id) or len(project_id) > 200:
            raise ValueError(f"project id {project_id!r} cannot be a Cosmos DB id (no / \\ ? #, at most 200 chars)")

    async def create_project(self, project: Project, events: list[Event]) -> str:
        self._check_project_id(project.id)
        container = self._container(PROJECTS)
        event_docs = [e.to_dict() for e in events]
        doc = {**project.to_dict(), "pendingEvents": event_docs, "writeId": uuid.uuid4().hex}
        etag = await self._write(
            "create", PROJECTS, doc, project.id,
            lambda: container.create_item(doc, timeout=self._operation_timeout),
            base_etag=None, on_collision=lambda: AlreadyExists(project.id), what=f"creating project {project.id}",
        )
        self._remember(project.id, etag, event_docs)
        if await self._record_events(project.id, event_docs):
            self._remember(project.id, etag, [])
        return etag

    async def load_project(self, project_id: str) -> Versioned[Project] | None:
        doc = await self._read_raw(PROJECTS, project_id, project_id, f"reading project {project_id}")
        if doc is None:
            return None
        etag = str(doc["_etag"])
        known = self._known.get(project_id)
        if known is None or known[0] != etag:
            self._remember(project_id, etag, _pending_of(doc))
        return Versioned(Project.from_dict(doc), etag)

    async def save_project(self, project: Project, etag: str, events: list[Event]) -> str:
        project_id = project.id
        container = self._container(PROJECTS)
        what = f"saving project {project_id}"
        known = self._known.get(project_id)
        if known is not None and known[0] == etag:
            _, previous = known
        else:  # an etag this store did not read or write itself: look at that version first
            current = await self._read_raw(PROJECTS, project_id, project_id, what)
            if current is None or current.get("_etag") != etag:
                raise ConcurrencyConflict(project_id)
            previous = _pending_of(current)
        if previous:
            # The version being replaced may carry events never recorded (a crash, another
            # instance): record them before their only other copy is overwritten.
            if not await self._record_events(project_id, previous):
                raise StoreUnavailable(f"Cosmos DB kept failing while recording pending events of {project_id}")
            self._remember(project_id, etag, [])
        event_docs = [e.to_dict() for e in events]
        doc = {**project.to_dict(), "pendingEvents": event_docs, "writeId": uuid.uuid4().hex}
        new_etag = await self._write(
            "replace", PROJECTS, doc, project_id,
            lambda: container.replace_item(
                project_id, doc, etag=etag, match_condition=MatchConditions.IfNotModified,
                timeout=self._operation_timeout,
            ),
            base_etag=etag, on_collision=lambda: ConcurrencyConflict(project_id), what=what,
        )
        self._remember(project_id, new_etag, event_docs)
        if await self._record_events(project_id, event_docs):
            self._remember(project_id, new_etag, [])
        return new_etag

    async def list_projects(
        self, query: ProjectQuery, page_size: int = 50, continuation: str | None = None
    ) -> Page[ProjectSummary]:
        clauses = ["c.type = 'project'"]
        params: list[dict[str, object]] = []
        if query.tenant_id is not None:
            clauses.append("c.tenantId = @tenant")
            params.append({"name": "@tenant", "value": query.tenant_id})
        if query.pm_id is not None:
            clauses.append("ARRAY_CONTAINS(c.pmIds, @pm)")
            params.append({"name": "@pm", "value": query.pm_id})
        if query.active_only:
            clauses.append("c.active = true")
        if query.digest_due_before is not None:
            clauses.append("IS_STRING(c.nextDigestAt) AND c.nextDigestAt <= @due")
            params.append({"name": "@due", "value": query.digest_due_before.isoformat()})
        if query.reminder_due_before is not None:
            clauses.append("(IS_STRING(c.nextReminderAt) AND c.nextReminderAt <= @remind)")
            params.append({"name": "@remind", "value": query.reminder_due_before.astimezone(UTC).isoformat()})
        if query.with_outbox:
            clauses.append("c.outboxCount > 0")
        sql = f"SELECT {_SUMMARY_FIELDS} FROM c WHERE " + " AND ".join(clauses)  # noqa: S608 - fixed text
        container = self._container(PROJECTS)
        for attempt in range(self._attempts):
            try:
                items, token = await self._query_page(container, sql, params, page_size, continuation)
                return Page([ProjectSummary.from_document(d) for d in items], token)
            except _HANDLED as error:
                self._raise_unless_retryable(error, attempt, "listing projects")
            await self._pause(attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _query_page(
        self, container: ContainerProxy, sql: str, params: list[dict[str, object]], page_size: int, continuation: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One non-empty page (Cosmos may answer empty pages with a continuation)."""
        pager = container.query_items(sql, parameters=params, max_item_count=page_size).by_page(continuation)
        while True:
            try:
                page = await pager.__anext__()
            except StopAsyncIteration:
                return [], None
            items = [dict(item) async for item in page]
            token = getattr(pager, "continuation_token", None)
            if items or not token:
                return items, token or None

    async def project_events(self, project_id: str) -> list[Event]:
        container = self._container(PROJECTS)
        # The partition key in WHERE: a single-partition query. The project document comes
        # along for its pendingEvents (a batch whose create was lost is recorded here).
        sql = "SELECT * FROM c WHERE c.projectId = @p AND c.type IN ('project', 'events')"
        params: list[dict[str, object]] = [{"name": "@p", "value": project_id}]
        docs: list[dict[str, Any]] = []
        for attempt in range(self._attempts):
            try:
                docs = []
                pager = container.query_items(sql, parameters=params, partition_key=project_id).by_page()
                async for page in pager:
                    docs.extend([dict(item) async for item in page])
                break
            except _HANDLED as error:
                self._raise_unless_retryable(error, attempt, f"reading events of {project_id}")
            await self._pause(attempt)
        events: dict[str, dict[str, Any]] = {}
        project: dict[str, Any] | None = None
        for doc in docs:
            if doc.get("projectId") != project_id:
                continue
            kind = doc.get("type")
            if kind == BATCH:
                for event in doc.get("events") or []:
                    events.setdefault(event["id"], event)
            elif kind == "project" and doc.get("id") == project_id:
                project = doc
        if project is not None:
            missing = [e for e in project.get("pendingEvents") or [] if e["id"] not in events]
            if missing:
                log.info("recording %d pending events of project %s", len(missing), project_id)
                await self._record_events(project_id, missing)  # committed events: shown even if this fails
                events.update({e["id"]: e for e in missing})
        return sorted((Event.from_dict(e) for e in events.values()), key=lambda e: e.seq)

    # -- directory documents ------------------------------------------------------------
    async def read_document(self, key: str) -> Versioned[dict[str, Any]] | None:
        doc_id = document_id(key)
        doc = await self._read_raw(DIRECTORY, doc_id, doc_id, f"reading {key}")
        if doc is None or doc.get("key") != key:
            return None
        return Versioned(dict(doc.get("body") or {}), str(doc["_etag"]))

    async def write_document(self, key: str, body: dict[str, Any], etag: str | None = None) -> str:
        """Write a directory document. etag None: unconditional; "": create only; else: replace if it matches."""
        doc_id = document_id(key)
        container = self._container(DIRECTORY)
        doc = {"id": doc_id, "pk": doc_id, "key": key, "kind": key.split("|", 1)[0], "body": body,
               "writeId": uuid.uuid4().hex}
        what = f"writing {key}"
        if etag is None:
            return await self._upsert(container, doc, what)
        if etag == "":
            return await self._write(
                "create", DIRECTORY, doc, doc_id,
                lambda: container.create_item(doc, timeout=self._operation_timeout),
                base_etag=None, on_collision=lambda: AlreadyExists(key), what=what,
            )
        return await self._write(
            "replace", DIRECTORY, doc, doc_id,
            lambda: container.replace_item(
                doc_id, doc, etag=etag, match_condition=MatchConditions.IfNotModified, timeout=self._operation_timeout
            ),
            base_etag=etag, on_collision=lambda: ConcurrencyConflict(key), what=what,
        )

    async def _upsert(self, container: ContainerProxy, doc: dict[str, Any], what: str) -> str:
        # Unconditional: sending the same body again is harmless, so plain retries suffice.
        for attempt in range(self._attempts):
            try:
                result = await container.upsert_item(doc, timeout=self._operation_timeout)
                return str(result["_etag"])
            except _HANDLED as error:
                self._raise_unless_retryable(error, attempt, what)
            await self._pause(attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    async def delete_document(self, key: str) -> None:
        doc_id = document_id(key)
        container = self._container(DIRECTORY)
        for attempt in range(self._attempts):
            try:
                await container.delete_item(doc_id, partition_key=doc_id, timeout=self._operation_timeout)
                return
            except CosmosResourceNotFoundError:
                return
            except _HANDLED as error:
                self._raise_unless_retryable(error, attempt, f"deleting {key}")
            await self._pause(attempt)


def is_local_endpoint(endpoint: str) -> bool:
    return (urlparse(endpoint).hostname or "") in LOCAL_HOSTS


async def open_cosmos_store(
    endpoint: str, key: str | None, database: str, *, connection_verify: bool = True
) -> CosmosStore:
    """Open (creating what is missing) the Cosmos DB store the bot runs on.

    key None: Entra ID through DefaultAzureCredential (managed identity in Azure, `az login`
    locally); the identity needs a data-plane role (docs/cosmos.md). A loopback endpoint is
    the local test server: certificate checks off and cross-partition queries enabled by header.
    Raises StoreUnavailable with one clear line when Cosmos cannot be used.
    """
    headers: dict[str, str] = {}
    if is_local_endpoint(endpoint):
        headers[CROSS_PARTITION_HEADER] = "true"
        connection_verify = False
    credential: str | AsyncTokenCredential
    if key:
        credential = key
    else:
        from azure.identity.aio import DefaultAzureCredential

        credential = DefaultAzureCredential()
    store = CosmosStore(
        endpoint, credential, database, connection_verify=connection_verify, headers=headers,
        owns_credential=not key,
    )
    try:
        await store.open()
    except BaseException:
        await store.close()
        raise
    return store
