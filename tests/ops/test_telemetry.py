"""Telemetry on the real app: one click is one trace holding its store calls and its sends,
the sends are counted by outcome, and JSON log lines parse and carry the trace id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from bot.app import RUNTIME_KEY, create_app
from bot.config import Settings
from bot.telemetry import JsonLogFormatter, Telemetry, instrument_aiohttp
from tests.support.connector_standin import ConnectorStandIn
from tests.teams.conftest import ADMIN, TENANT, FakeClock, Harness, harness_env, roster_accounts
from tests.teams.flows import actions_of, click, create_project, latest_task_cards, setup_values

LICENSE = "cloud_voice_teams:licensing.phone_standard"


@asynccontextmanager
async def traced_harness(tmp_path: Path, spans: InMemorySpanExporter, reader: InMemoryMetricReader) -> AsyncIterator[Harness]:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    telemetry = Telemetry.for_tests(tracer_provider, MeterProvider(metric_readers=[reader]))
    clock = FakeClock(datetime(2026, 11, 26, 15, 0, tzinfo=UTC))
    undo = instrument_aiohttp(tracer_provider)
    try:
        app = create_app(Settings.from_env(harness_env(tmp_path)), clock=clock, scheduler=False, telemetry=telemetry)
    finally:
        undo()  # the Application class is patched: the other tests' apps stay plain
    async with ConnectorStandIn(roster=roster_accounts(), default_tenant_id=TENANT) as standin:
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        try:
            async with aiohttp.ClientSession() as session:
                yield Harness(str(server.make_url("")).rstrip("/"), standin, app[RUNTIME_KEY], clock, session)
        finally:
            await server.close()


def metric_points(reader: InMemoryMetricReader, name: str) -> list[Any]:
    data = reader.get_metrics_data()
    return [point for resource in data.resource_metrics for scope in resource.scope_metrics
            for metric in scope.metrics if metric.name == name for point in metric.data.data_points]


def ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[ReadableSpan]:
    chain = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        chain.append(span)
    return chain


async def test_one_click_is_one_trace_with_its_store_calls_and_sends_beneath(tmp_path: Path) -> None:
    spans, reader = InMemorySpanExporter(), InMemoryMetricReader()
    async with traced_harness(tmp_path, spans, reader) as harness:
        await create_project(harness, setup_values("cloud_voice_teams", porting=True))
        card = latest_task_cards(harness, ADMIN)[LICENSE]
        reader.get_metrics_data()  # counters are cumulative: read what the set-up sent
        sends_before = sum(p.value for p in metric_points(reader, "bot.sends") if p.attributes["outcome"] == "sent")
        spans.clear()
        status, _ = await click(harness, ADMIN, "confirm", actions_of(card)["confirm"])
        assert status == 200
        await harness.runtime.settle()
        finished = spans.get_finished_spans()

    roots = [s for s in finished if s.kind is SpanKind.SERVER]
    assert len(roots) == 1, [s.name for s in roots]
    root = roots[0]
    assert {s.context.trace_id for s in finished} == {root.context.trace_id}, "every span of the click is in its one trace"
    by_id = {s.context.span_id: s for s in finished}
    store_calls = [s for s in finished if s.name.startswith("store.")]
    sends = [s for s in finished if s.name.startswith("teams.")]
    assert {"store.load_project", "store.save_project"} <= {s.name for s in store_calls}
    assert {"teams.update"} <= {s.name for s in sends}, "the click redraws the task's card copies"
    for span in store_calls + sends:
        assert root in ancestors(span, by_id), f"{span.name} is not beneath the turn"
    assert all(s.kind is SpanKind.CLIENT for s in sends)

    sent = [p for p in metric_points(reader, "bot.sends") if p.attributes["outcome"] == "sent"]
    assert sum(p.value for p in sent) - sends_before == len(sends) > 0
    assert sum(p.value for p in metric_points(reader, "bot.clicks")) >= 1
    latency = metric_points(reader, "bot.store.duration")
    assert latency and all(p.count > 0 and p.sum >= 0 for p in latency)


async def test_throttled_and_unreachable_sends_are_counted_by_outcome(tmp_path: Path) -> None:
    spans, reader = InMemorySpanExporter(), InMemoryMetricReader()
    async with traced_harness(tmp_path, spans, reader) as harness:
        await create_project(harness, setup_values("cloud_voice_teams", porting=True))
        card = latest_task_cards(harness, ADMIN)[LICENSE]
        harness.standin.fail_next(2, status=429, retry_after=0, kind="update")  # the card copies' redraw: throttled twice
        await click(harness, ADMIN, "confirm", actions_of(card)["confirm"])
        await harness.runtime.telemetry.sample(harness.runtime.store, harness.runtime.clock())
    outcomes: dict[str, int] = {}
    for point in metric_points(reader, "bot.sends"):
        outcomes[point.attributes["outcome"]] = outcomes.get(point.attributes["outcome"], 0) + int(point.value)
    assert outcomes.get("throttled") == 2 and outcomes.get("sent", 0) > 0, outcomes
    assert metric_points(reader, "bot.outbox.depth")[0].value == 0, "everything owed was sent"
    assert metric_points(reader, "bot.digest.lag")[0].value == 0


def test_json_log_lines_parse_and_carry_trace_and_context_without_secrets() -> None:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLogFormatter())
    logger = logging.getLogger("tests.ops.json")
    logger.addHandler(handler)
    logger.propagate = False
    from bot.telemetry import log_context

    try:
        with provider.get_tracer("t").start_as_current_span("turn") as span, log_context(activity_id="act-1", tenant_id=TENANT,
                                                                                         project_id="p-1"):
            logger.warning("delivery of %s deferred", "item-1")
            try:
                raise ValueError("secret-value-in-text")
            except ValueError:
                logger.exception("failed")
        logger.warning("outside")
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 3
    first, failed, outside = lines
    assert first["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert (first["activity_id"], first["tenant_id"], first["project_id"]) == ("act-1", TENANT, "p-1")
    assert first["message"] == "delivery of item-1 deferred" and first["level"] == "WARNING"
    assert failed["error"] == "ValueError" and "secret-value-in-text" not in json.dumps(failed)
    assert "trace_id" not in outside and "activity_id" not in outside


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_log_format_setting(log_format: str, tmp_path: Path) -> None:
    settings = Settings.from_env({**harness_env(tmp_path), "LOG_FORMAT": log_format})
    assert settings.log_format == log_format


def test_python_m_bot_writes_json_log_lines_with_log_format_json(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "COSMOS_", "APPLICATIONINSIGHTS"))}
    env.update(ALLOW_ANONYMOUS="yes", LOG_FORMAT="json", DATA_DIR=str(tmp_path), SCHEDULER="off")
    result = subprocess.run([sys.executable, "-m", "bot", "jobs", "run-due"], cwd=root, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert lines, "no log line"
    assert any(line["level"] == "WARNING" and "ANONYMOUS MODE" in line["message"] for line in lines)
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)


def test_telemetry_is_off_without_a_connection_string() -> None:
    from bot.telemetry import configure_process

    telemetry = configure_process("")
    assert telemetry.enabled is False
    with telemetry.tracer.start_as_current_span("x") as span:
        assert not span.is_recording()


@pytest.mark.parametrize("value", [{"action": "confirm"}, {"action": {"data": ["p"]}}, {"action": {"data": {"p": 7}}}, ["x"], "text"])
async def test_odd_card_action_values_are_observed_without_failing_the_turn(tmp_path: Path, value: Any) -> None:
    from tests.support.teams_activities import card_action, personal

    spans, reader = InMemorySpanExporter(), InMemoryMetricReader()
    async with traced_harness(tmp_path, spans, reader) as harness:
        activity = card_action(ADMIN, personal(ADMIN), "confirm", {}, harness.service_url)
        activity["value"] = value
        status, _ = await harness.post(activity)
    assert status < 500
    assert sum(p.value for p in metric_points(reader, "bot.clicks")) == 1
