"""Production telemetry: traces, metrics and JSON log lines, on OpenTelemetry.

With `APPLICATIONINSIGHTS_CONNECTION_STRING` set, `configure_process` hands everything to
Azure Monitor (`azure-monitor-opentelemetry`) and instruments aiohttp's server and client
(process-wide, so `python -m bot` only);
without it, `Telemetry.disabled()` records nothing and costs a few no-op calls. Tests build a
`Telemetry` on their own providers with in-memory exporters. A turn is one trace (the
server span); the store calls and the sends it causes are its children, the drains included
(an asyncio task inherits the context it was created in). Log lines carry the activity id,
tenant, project and trace id from `log_context`; never a name, a message text or a secret.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import SpanKind, TracerProvider

from bot.delivery.limits import Card, DeliveryError, Messenger
from bot.domain.project import ConversationTarget
from bot.storage.contract import ProjectQuery, Store

INSTRUMENTATION = "activation-bot"
_context: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar("log_context", default={})  # noqa: B039 - read only
LOG_FIELDS = ("activity_id", "tenant_id", "project_id", "conversation_id")


@contextlib.contextmanager
def log_context(**fields: str | None) -> Iterator[None]:
    """Adds ids (activity, tenant, project) to every log line written inside the block."""
    merged = {**_context.get(), **{k: v for k, v in fields.items() if v}}
    token = _context.set(merged)
    try:
        yield
    finally:
        _context.reset(token)


def set_log_context(**fields: str | None) -> None:
    """Adds ids for the rest of the current task (a request handler, a drain)."""
    _context.set({**_context.get(), **{k: v for k, v in fields.items() if v}})


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the context ids and the trace."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(_context.get())
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            line["trace_id"] = format(span.trace_id, "032x")
            line["span_id"] = format(span.span_id, "016x")
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__  # the type only: exception text may hold data
        return json.dumps(line, ensure_ascii=False)


def configure_logging(level: str, log_format: str) -> None:
    """The process's root logging: text (local default) or JSON lines (LOG_FORMAT=json)."""
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonLogFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


@dataclass(slots=True)
class Telemetry:
    """The instruments the bot records into; built once by the app factory."""

    tracer_provider: TracerProvider | None = None
    meter_provider: MeterProvider | None = None
    enabled: bool = False
    _tracer: trace.Tracer = field(init=False)
    _clicks: metrics.Counter = field(init=False)
    _sends: metrics.Counter = field(init=False)
    _store_latency: metrics.Histogram = field(init=False)
    _outbox_depth: Any = field(init=False)  # a synchronous gauge (metrics._Gauge)
    _outbox_age: Any = field(init=False)  # a synchronous gauge (metrics._Gauge)
    _digest_lag: Any = field(init=False)  # a synchronous gauge (metrics._Gauge)

    def __post_init__(self) -> None:
        tracer_provider = self.tracer_provider or (trace.get_tracer_provider() if self.enabled else trace.NoOpTracerProvider())
        meter_provider = self.meter_provider or (metrics.get_meter_provider() if self.enabled else metrics.NoOpMeterProvider())
        self._tracer = tracer_provider.get_tracer(INSTRUMENTATION)
        meter = meter_provider.get_meter(INSTRUMENTATION)
        self._clicks = meter.create_counter("bot.clicks", unit="{click}", description="card actions received")
        self._sends = meter.create_counter("bot.sends", unit="{request}", description="proactive send attempts by outcome")
        self._store_latency = meter.create_histogram("bot.store.duration", unit="s", description="store call latency")
        self._outbox_depth = meter.create_gauge("bot.outbox.depth", unit="{item}", description="messages owed")
        self._outbox_age = meter.create_gauge("bot.outbox.oldest_age", unit="s", description="age of the oldest owed message")
        self._digest_lag = meter.create_gauge("bot.digest.lag", unit="s", description="how late the most overdue digest is")

    @staticmethod
    def disabled() -> Telemetry:
        return Telemetry()

    @staticmethod
    def for_tests(tracer_provider: TracerProvider, meter_provider: MeterProvider) -> Telemetry:
        return Telemetry(tracer_provider, meter_provider, enabled=True)

    @property
    def tracer(self) -> trace.Tracer:
        return self._tracer

    def click(self, kind: str) -> None:
        self._clicks.add(1, {"kind": kind})

    def send_outcome(self, outcome: str, operation: str) -> None:
        self._sends.add(1, {"outcome": outcome, "operation": operation})

    def store_call(self, operation: str, seconds: float, ok: bool) -> None:
        self._store_latency.record(seconds, {"operation": operation, "ok": ok})

    def outbox(self, depth: int, oldest_age: float) -> None:
        self._outbox_depth.set(depth)
        self._outbox_age.set(oldest_age)

    def digest_lag(self, seconds: float) -> None:
        self._digest_lag.set(seconds)

    async def sample(self, store: Store, now: datetime) -> None:
        """Outbox depth, its oldest item's age and the digest lag, read from the store."""
        from bot.scheduled import projects, summaries

        depth, oldest = 0, 0.0
        async for project in projects(store, ProjectQuery(with_outbox=True)):
            depth += len(project.outbox)
            for item in project.outbox:
                oldest = max(oldest, (now - item.created_at).total_seconds())
        self.outbox(depth, oldest)
        lag = 0.0
        async for summary in summaries(store, ProjectQuery(active_only=True, digest_due_before=now)):
            if summary.next_digest_at is not None:
                lag = max(lag, (now - summary.next_digest_at).total_seconds())
        self.digest_lag(lag)


def outcome_of(error: DeliveryError) -> str:
    if error.status == 429:
        return "throttled"
    if error.permanent:
        return "unreachable"
    return "retried" if error.retryable else "failed"


class TracedMessenger:
    """A Messenger whose every request to the Bot Connector is a CLIENT span and a counted outcome."""

    def __init__(self, inner: Messenger, telemetry: Telemetry) -> None:
        self.inner = inner
        self.telemetry = telemetry

    async def _traced(self, operation: str, target: ConversationTarget, call: Callable[[], Awaitable[Any]]) -> Any:
        with self.telemetry.tracer.start_as_current_span(f"teams.{operation}", kind=SpanKind.CLIENT,
                                                         attributes={"bot.operation": operation}) as span:
            try:
                result = await call()
            except DeliveryError as error:
                span.set_attribute("http.response.status_code", error.status)
                self.telemetry.send_outcome(outcome_of(error), operation)
                raise
            self.telemetry.send_outcome("sent", operation)
            return result

    async def send(self, target: ConversationTarget, card: Card, mentions_text: str | None = None) -> str:
        result: str = await self._traced("send", target, lambda: self.inner.send(target, card, mentions_text))
        return result

    async def update(self, target: ConversationTarget, activity_id: str, card: Card) -> None:
        await self._traced("update", target, lambda: self.inner.update(target, activity_id, card))

    async def open_personal(self, via: ConversationTarget, user_teams_id: str) -> ConversationTarget:
        result: ConversationTarget = await self._traced("open_personal", via, lambda: self.inner.open_personal(via, user_teams_id))
        return result


class TracedStore:
    """A Store whose calls are INTERNAL spans with their latency recorded; anything else a
    store offers passes through untouched."""

    TRACED = frozenset({"create_project", "load_project", "save_project", "list_projects", "project_events",
                        "read_document", "write_document", "delete_document"})

    def __init__(self, inner: Store, telemetry: Telemetry) -> None:
        self._inner = inner
        self._telemetry = telemetry
        self.name = inner.name

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name not in self.TRACED:
            return attribute
        telemetry = self._telemetry

        async def traced(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            ok = False
            with telemetry.tracer.start_as_current_span(f"store.{name}", attributes={"db.system": self.name, "db.operation": name}):
                try:
                    result = await attribute(*args, **kwargs)
                    ok = True
                    return result
                finally:
                    telemetry.store_call(name, time.perf_counter() - started, ok)

        return traced

    @property
    def inner(self) -> Store:
        return self._inner


def configure_process(connection_string: str) -> Telemetry:
    """For `python -m bot` only: send traces, metrics and logs to Azure Monitor and instrument
    aiohttp's client sessions (the server middleware is added by the app factory)."""
    if not connection_string:
        return Telemetry.disabled()
    from azure.monitor.opentelemetry import configure_azure_monitor
    from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor

    configure_azure_monitor(connection_string=connection_string, logger_name="bot",
                            instrumentation_options={"azure_sdk": {"enabled": True}})
    instrument_aiohttp()
    AioHttpClientInstrumentor().instrument()
    return Telemetry(enabled=True)


def instrument_aiohttp(tracer_provider: TracerProvider | None = None) -> Callable[[], None]:
    """aiohttp's server instrumentation: every Application made afterwards makes each request
    a SERVER span (the turn's root); the probes are left out. Returns the undo (tests)."""
    import os

    from opentelemetry.instrumentation.aiohttp_server import AioHttpServerInstrumentor

    os.environ.setdefault("OTEL_PYTHON_AIOHTTP_SERVER_EXCLUDED_URLS", "healthz,readyz")
    instrumentor = AioHttpServerInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider)
    return instrumentor.uninstrument
