"""The server benchmarks: confirm path (SQLite and Cosmos DB) against a bare botbuilder bot,
store operations per action, memory with 10,000 projects, and weekly digests at scale.

Each bot runs in its own process (`python -m bot`), the load comes from another process
(tests/bench/loadgen.py), proactive messages go to the connector stand-in process
(tests/bench/sink.py, with Teams' documented limits enforced and violations counted).
Everything listens on 127.0.0.1; every loop is bounded in count and time.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.app import build_runtime, open_store
from bot.config import Settings
from bot.domain.project import TaskState
from bot.service import utc_now
from cards.task import task_card
from cards.views import task_view
from tests.bench import ops
from tests.bench.common import BENCH, PYTHON, Child, Row, cpu_seconds, log, peak_rss_kib, percentile, row, rss_kib
from tests.bench.seed import Seeded, pm_ids, seed
from tests.bench.servers import BareBot, BotServer, Sink, load


@dataclass
class Context:
    quick: bool
    work: Path
    sink: Sink

    def dir(self, name: str) -> Path:
        path = self.work / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def window(self) -> float:
        """Seconds of each closed-loop load window."""
        return 10.0 if self.quick else 45.0

    @property
    def open_window(self) -> float:
        """Seconds of each open-loop load window."""
        return 6.0 if self.quick else 30.0


CONCURRENCY = 50
OPEN_RATE = 20.0  # clicks per second, open loop: a busy hour's peak, well under saturation
CONFIRM_TENANTS = 10


def _settings(env: dict[str, str]) -> Settings:
    return Settings.from_env({"ALLOW_ANONYMOUS": "1", "SCHEDULER": "0", **env})


def _seed(env: dict[str, str], **kwargs: Any) -> Seeded:
    return asyncio.run(seed(_settings(env), **kwargs))


async def _done_count(settings: Settings, targets: list[tuple[str, str]]) -> int:
    store = await open_store(settings)
    try:
        done = 0
        by_project: dict[str, list[str]] = {}
        for project_id, key in targets:
            by_project.setdefault(project_id, []).append(key)
        for project_id, keys in by_project.items():
            current = await store.load_project(project_id)
            if current is not None:
                done += sum(1 for k in keys if current.value.tasks[k].state is TaskState.DONE)
        return done
    finally:
        await store.close()


async def _sample_card(settings: Settings, seeded: Seeded) -> dict[str, Any]:
    """A real task card of a seeded project (the size the bot answers with), for the bare bot."""
    runtime = await build_runtime(settings)
    try:
        project_id = seeded.project_ids[0]
        current = await runtime.store.load_project(project_id)
        assert current is not None
        key, _, user = seeded.ready[project_id][0]
        actor = runtime.service.actor(user.aad_object_id, user.name, user.tenant_id)
        return task_card(task_view(current.value, runtime.library, key, viewer=actor, language="en", now=utc_now()))
    finally:
        await runtime.store.close()


def _latency_rows(prefix: str, result: dict[str, Any], baseline: dict[str, Any] | None = None, **extra: Any) -> list[Row]:
    rows = [row(f"{prefix}.rps", result["rps"], "requests/s", baseline=baseline["rps"] if baseline else None, **extra)]
    for label in ("p50", "p95", "p99"):
        rows.append(row(f"{prefix}.{label}", result[f"{label}_ms"], "ms",
                        baseline=baseline[f"{label}_ms"] if baseline else None, **extra))
    if result["errors"] or result["notices"]:
        rows.append(row(f"{prefix}.errors", sum(result["errors"].values()) + result["notices"], "requests",
                        errors=result["errors"], notices=result["notices"]))
    return rows


class ClickFeed:
    """Hands out each prepared click once."""

    def __init__(self, clicks: list[dict[str, Any]], targets: list[tuple[str, str]]) -> None:
        self.clicks = clicks
        self.targets = targets
        self.used = 0
        self.sent: list[tuple[str, str]] = []

    def take(self, count: int) -> list[dict[str, Any]]:
        if self.used + count > len(self.clicks):
            raise RuntimeError(f"only {len(self.clicks) - self.used} distinct ready tasks left, {count} wanted")
        batch = self.clicks[self.used:self.used + count]
        self.sent += self.targets[self.used:self.used + count]
        self.used += count
        return batch

    def give_back(self, count: int) -> None:
        """The last `count` clicks were not posted (a load window ended first)."""
        if count > 0:
            self.used -= count
            del self.sent[len(self.sent) - count:]


def _run_load(ctx: Context, url: str, feed: ClickFeed, budget: int, name: str, **kwargs: Any) -> dict[str, Any]:
    bodies = feed.take(budget)
    result = load(url, bodies, work_dir=ctx.work, name=name, **kwargs)
    feed.give_back(len(bodies) - result["requests"])
    return result


def _confirm_variant(ctx: Context, label: str, env: dict[str, str], feed: ClickFeed, *,
                     bare: dict[str, dict[str, Any]] | None, store: str) -> tuple[list[Row], dict[str, Any]]:
    """Warm-up, one client, 50 clients (closed loop), then an open loop at OPEN_RATE."""
    rows: list[Row] = []
    ctx.sink.reset()
    bot = BotServer(f"bot-{label}", env, ctx.work)
    prefix = f"confirm.{label}"
    try:
        _run_load(ctx, bot.url, feed, 100 if ctx.quick else 300, f"{label}-warmup", concurrency=10, max_seconds=30)
        ctx.sink.wait_quiet()
        single = _run_load(ctx, bot.url, feed, 60 if ctx.quick else 300, f"{label}-c1", concurrency=1, max_seconds=20)
        ctx.sink.wait_quiet()
        sink_before = ctx.sink.stats()["delivered"]
        cpu_before = cpu_seconds(bot.pid)
        rate_cap = 120 if store == "sqlite" else 60
        closed = _run_load(ctx, bot.url, feed, int(ctx.window * rate_cap), f"{label}-c50", concurrency=CONCURRENCY,
                           max_seconds=ctx.window)
        clicks_ended = time.monotonic()
        drained = ctx.sink.wait_quiet(timeout=180)
        delivery_lag = max(0.0, drained["last_arrival"] - clicks_ended)
        cpu_per_click = (cpu_seconds(bot.pid) - cpu_before) / max(1, closed["ok"]) * 1000
        deliveries = (drained["delivered"] - sink_before) / max(1, closed["ok"])
        opened = _run_load(ctx, bot.url, feed, int(OPEN_RATE * ctx.open_window), f"{label}-open",
                           rate=OPEN_RATE, max_seconds=ctx.open_window)
        final = ctx.sink.wait_quiet(timeout=180)
        rss = rss_kib(bot.pid)
        peak = peak_rss_kib(bot.pid)
    finally:
        bot.stop()
    rows += _latency_rows(f"{prefix}.c50", closed, bare["c50"] if bare else None, clients=CONCURRENCY)
    rows += _latency_rows(f"{prefix}.c1", single, bare["c1"] if bare else None, clients=1)
    rows += _latency_rows(f"{prefix}.open{int(OPEN_RATE)}", opened, bare["open"] if bare else None, rate=OPEN_RATE)
    rows.append(row(f"{prefix}.cpu_per_click", cpu_per_click, "ms", note="bot process CPU incl. its deliveries"))
    rows.append(row(f"{prefix}.deliveries_per_click", deliveries, "messages"))
    rows.append(row(f"{prefix}.delivery_lag", delivery_lag, "s", clicks=closed["ok"],
                    note="last click answered to last message sent; the send limits set most of it"))
    rows.append(row(f"{prefix}.limit_violations", sum(final["violations"].values()), "requests",
                    throttled=final["throttled"], failed=final["failed"]))
    rows.append(row(f"{prefix}.rss", rss / 1024, "MiB", peak_mib=round(peak / 1024, 1)))
    return rows, {"c50": closed, "c1": single, "open": opened}


def confirm_sqlite(ctx: Context) -> list[Row]:
    log("confirm path on SQLite: seeding")
    rows: list[Row] = []
    count = 1000
    results: dict[str, dict[str, dict[str, Any]]] = {}
    env = {"DATA_DIR": str(ctx.dir("confirm-sqlite")), "PM_AAD_IDS": ",".join(pm_ids(CONFIRM_TENANTS))}
    seeded = _seed(env, count=count, tenants=CONFIRM_TENANTS, service_url=ctx.sink.service_url)
    feed = ClickFeed(seeded.clicks(ctx.sink.service_url), seeded.click_targets())
    card = asyncio.run(_sample_card(_settings(env), seeded))
    card_file = ctx.work / "bare-card.json"
    card_file.write_text(json.dumps(card), encoding="utf-8")

    log("confirm path: bare botbuilder bot")
    bare = BareBot(card_file, ctx.work)
    bare_feed = ClickFeed(feed.clicks, feed.targets)  # same bodies; the bare bot reads nothing
    try:
        load(bare.url, bare_feed.clicks[:300], work_dir=ctx.work, name="bare-warmup", concurrency=10, max_seconds=30)
        bare_c1 = load(bare.url, bare_feed.clicks[:150 if ctx.quick else 600], work_dir=ctx.work, name="bare-c1",
                       concurrency=1, max_seconds=20)
        cpu_before = cpu_seconds(bare.pid)
        bare_c50 = load(bare.url, bare_feed.clicks[: int(ctx.window * 300)], work_dir=ctx.work, name="bare-c50",
                        concurrency=CONCURRENCY, max_seconds=ctx.window)
        bare_cpu = (cpu_seconds(bare.pid) - cpu_before) / max(1, bare_c50["ok"]) * 1000
        bare_open = load(bare.url, bare_feed.clicks[: int(OPEN_RATE * ctx.open_window)], work_dir=ctx.work,
                         name="bare-open", rate=OPEN_RATE, max_seconds=ctx.open_window)
    finally:
        bare.stop()
    results["bare"] = {"c50": bare_c50, "c1": bare_c1, "open": bare_open}
    rows += _latency_rows("confirm.bare.c50", bare_c50, clients=CONCURRENCY)
    rows += _latency_rows("confirm.bare.c1", bare_c1, clients=1)
    rows += _latency_rows(f"confirm.bare.open{int(OPEN_RATE)}", bare_open, rate=OPEN_RATE)
    rows.append(row("confirm.bare.cpu_per_click", bare_cpu, "ms"))

    log("confirm path: this bot")
    variant_rows, results["sqlite"] = _confirm_variant(ctx, "sqlite", env, feed, bare=results["bare"], store="sqlite")
    rows += variant_rows
    done = asyncio.run(_done_count(_settings(env), feed.sent))
    rows.append(row("confirm.sqlite.verified", done / max(1, len(feed.sent)), "fraction",
                    note="clicked tasks found done in the store afterwards", clicks=len(feed.sent)))
    ours = results["sqlite"]["c50"]
    rows.append(row("target.confirm_throughput_half_of_bare", ours["rps"] / max(1e-9, bare_c50["rps"]), "ratio",
                    target=">= 0.5", met=ours["rps"] >= 0.5 * bare_c50["rps"]))
    rows.append(row("target.confirm_p99_under_250ms", ours["p99_ms"], "ms", target="< 250 at 50 clients",
                    met=ours["p99_ms"] < 250, bare_p99_ms=bare_c50["p99_ms"]))
    return rows


def confirm_cosmos(ctx: Context, cosmos_endpoint: str, cosmos_key: str) -> list[Row]:
    """Store operations per action on both stores (in-process, exact), then the confirm path
    through `python -m bot` on Cosmos DB under 50 clients."""
    rows: list[Row] = []
    count = 120 if ctx.quick else 300
    sample = 30 if ctx.quick else 100
    per_store: dict[str, list[Row]] = {}
    envs: dict[str, dict[str, str]] = {
        "sqlite": {"DATA_DIR": str(ctx.dir("ops-sqlite"))},
        "cosmos": {"COSMOS_ENDPOINT": cosmos_endpoint, "COSMOS_KEY": cosmos_key,
                   "COSMOS_DATABASE": f"bench-{uuid.uuid4().hex[:8]}", "DATA_DIR": str(ctx.dir("ops-cosmos"))},
    }
    for name, env in envs.items():
        log(f"store operations per action: {name}")
        ctx.sink.reset()
        env = {**env, "PM_AAD_IDS": ",".join(pm_ids(CONFIRM_TENANTS))}
        seeded = _seed(env, count=count, tenants=CONFIRM_TENANTS, service_url=ctx.sink.service_url)
        clicks = seeded.clicks(ctx.sink.service_url)
        actions = {"confirm": clicks[10:10 + sample], "status": seeded.status_requests(ctx.sink.service_url, sample, 10)}
        per_store[name] = asyncio.run(ops.measure(_settings(env), actions, name, clicks[:10]))
        if name == "cosmos":
            log("confirm path on Cosmos DB: python -m bot under load")
            feed = ClickFeed(clicks, seeded.click_targets())
            feed.used = 10 + sample
            feed.sent = []
            ctx.sink.reset()
            bot = BotServer("bot-cosmos", env, ctx.work)
            try:
                _run_load(ctx, bot.url, feed, 60, "cosmos-warmup", concurrency=10, max_seconds=30)
                ctx.sink.wait_quiet()
                cpu_before = cpu_seconds(bot.pid)
                closed = _run_load(ctx, bot.url, feed, min(len(clicks) - feed.used, int(ctx.window * 60)), "cosmos-c50",
                                   concurrency=CONCURRENCY, max_seconds=ctx.window)
                final = ctx.sink.wait_quiet(timeout=180)
                cpu = (cpu_seconds(bot.pid) - cpu_before) / max(1, closed["ok"]) * 1000
            finally:
                bot.stop()
            rows += _latency_rows("confirm.cosmos.c50", closed, clients=CONCURRENCY)
            rows.append(row("confirm.cosmos.cpu_per_click", cpu, "ms", note="bot process only; the Cosmos server is another"))
            rows.append(row("confirm.cosmos.limit_violations", sum(final["violations"].values()), "requests"))
            done = asyncio.run(_done_count(_settings(env), feed.sent))
            rows.append(row("confirm.cosmos.verified", done / max(1, len(feed.sent)), "fraction", clicks=len(feed.sent)))
    sqlite_values = {r["name"].replace("ops.sqlite.", ""): r["value"] for r in per_store["sqlite"]}
    for item in per_store["sqlite"]:
        rows.append(item)
    for item in per_store["cosmos"]:
        base = sqlite_values.get(item["name"].replace("ops.cosmos.", ""))
        if isinstance(base, int | float) and item["unit"] == "ms":
            item = {**item, "baseline": base, "ratio": round(item["value"] / base, 2) if base else None}
        rows.append(item)
    return rows


def memory(ctx: Context) -> list[Row]:
    """RSS of `python -m bot` serving a store of 1,000 and then 10,000 projects: fresh process,
    idle, then after a burst of status and confirm requests over many different projects."""
    rows: list[Row] = []
    tenants = 50
    env = {"DATA_DIR": str(ctx.dir("memory")), "PM_AAD_IDS": ",".join(pm_ids(tenants))}
    burst_status = 300 if ctx.quick else 1500
    burst_confirm = 150 if ctx.quick else 500
    log("memory: seeding 1,000 projects")
    small = _seed(env, count=1000, tenants=tenants, service_url=ctx.sink.service_url)
    figures: dict[str, float] = {}

    def serve(label: str, seeded: Seeded, offset: int, bursts: int) -> None:
        ctx.sink.reset()
        bot = BotServer(f"bot-memory-{label}", env, ctx.work)
        try:
            figures[f"{label}.idle"] = rss_kib(bot.pid) / 1024
            clicks = seeded.clicks(ctx.sink.service_url)
            for burst in range(bursts):
                start = offset + burst * burst_status
                statuses = seeded.status_requests(ctx.sink.service_url, burst_status, start)
                confirms = clicks[start:start + burst_confirm]
                mixed = [b for pair in itertools.zip_longest(statuses, confirms) for b in pair if b is not None]
                result = load(bot.url, mixed, work_dir=ctx.work, name=f"memory-{label}-{burst}", concurrency=10,
                              max_seconds=120)
                if result["ok"] != len(mixed):
                    raise RuntimeError(f"memory burst {label}: {result}")
                ctx.sink.wait_quiet(timeout=120)
                figures[f"{label}.burst{burst + 1}"] = rss_kib(bot.pid) / 1024
            figures[f"{label}.peak"] = peak_rss_kib(bot.pid) / 1024
        finally:
            bot.stop()

    serve("projects_1000", small, 0, 1)
    log("memory: seeding 9,000 more projects (10,000)")
    large = _seed(env, count=9000, tenants=tenants, service_url=ctx.sink.service_url, start=1000)
    serve("projects_10000", large, 0, 2)
    for name, value in figures.items():
        rows.append(row(f"memory.rss.{name}", value, "MiB"))
    ratio = figures["projects_10000.burst1"] / figures["projects_1000.burst1"]
    rows.append(row("memory.rss.ratio_10000_to_1000", ratio, "ratio", target="flat (<= 1.1)", met=ratio <= 1.1,
                    note=f"after one burst of {burst_status} status + {burst_confirm} confirms over different projects"))
    growth = figures["projects_10000.burst2"] - figures["projects_10000.burst1"]
    rows.append(row("memory.rss.growth_second_burst", growth, "MiB",
                    note=f"another {burst_status + burst_confirm} requests on projects not touched before"))
    rows.append(row("memory.rss.growth_per_request", growth * 1024 / (burst_status + burst_confirm), "KiB",
                    note="bot.app.Runtime.received keeps every activity body (about 5 KiB each) up to 10,000"))
    return rows


def digests(ctx: Context) -> list[Row]:
    """Weekly digests of N projects over 50 tenants, by the scheduled job in its own process,
    to the connector stand-in enforcing Teams' limits."""
    rows: list[Row] = []
    tenants = 50
    count = 400 if ctx.quick else 10_000
    tenant_rate = 0.5
    interval = 1.0
    aggregate = tenants * tenant_rate
    log(f"digests: {count} projects over {tenants} tenants, {tenant_rate}/s per tenant")
    env = {"DATA_DIR": str(ctx.dir("digests")), "PM_AAD_IDS": ",".join(pm_ids(tenants)),
           "SEND_INTERVAL": str(interval), "TENANT_SEND_RATE": str(tenant_rate), "SCHEDULER": "0", "ALLOW_ANONYMOUS": "1",
           "LOG_LEVEL": "WARNING"}
    now = utc_now()
    # Created a week ago so this week's digest is due; kickoff in two weeks so no reminder is.
    _seed(env, count=count, tenants=tenants, service_url=ctx.sink.service_url, now=now - timedelta(days=8),
          kickoff=(now + timedelta(days=14)).date())
    ctx.sink.reset()
    job = Child("digest-job", [PYTHON, str(BENCH / "digest_job.py")], env=env, log_dir=ctx.work)
    try:
        result = job.json_line(300 + count / aggregate * 6)
    finally:
        job.stop()
    stats = ctx.sink.stats(records=True)
    records = stats.pop("records")
    rows += _digest_rows(result, stats, records, tenants, tenant_rate, interval, aggregate, count)
    rows += _idle_run(ctx, env, count)
    return rows


def _idle_run(ctx: Context, env: dict[str, str], count: int) -> list[Row]:
    """run-due again right after: nothing is due, so this is what every scheduler tick costs
    (the in-process scheduler runs it every 30 s; bot.app.OUTBOX_SWEEP_SECONDS)."""
    ctx.sink.reset()
    job = Child("digest-job-idle", [PYTHON, str(BENCH / "digest_job.py")], env=env, log_dir=ctx.work)
    try:
        result = job.json_line(300)
    finally:
        job.stop()
    sent = ctx.sink.stats()["delivered"]
    per_project = result["cpu_s"] / count * 1000
    return [
        row("run_due_idle.cpu", result["cpu_s"], "s", projects=count, sent=sent, counts=result["counts"],
            note="run-due again with nothing due: reminders already sent today, digests recorded"),
        row("run_due_idle.cpu_per_project", per_project, "ms"),
        row("run_due_idle.core_share_10000_projects", per_project * 10_000 / 1000 / 30, "cores",
            note="CPU of one scheduler tick per 30 s with 10,000 active projects (extrapolated from the line above)"),
    ]


def _digest_rows(result: dict[str, Any], stats: dict[str, Any], records: list[list[Any]], tenants: int,
                 tenant_rate: float, interval: float, aggregate: float, count: int) -> list[Row]:
    prefix = "digest"
    extra: dict[str, Any] = {}
    channel = sorted(r[0] for r in records if str(r[2]).startswith("19:"))
    span = channel[-1] - channel[0] if len(channel) > 1 else 0.0
    # n messages of a tenant at rate r take (n-1)/r seconds from the first to the last.
    overall = len(channel) / (span + 1 / tenant_rate) if channel else 0.0
    digest_by_tenant: dict[str, list[float]] = {}
    for stamp, _, conversation, tenant in records:
        if str(conversation).startswith("19:"):
            digest_by_tenant.setdefault(str(tenant), []).append(stamp)
    # The delivered rate: each tenant's own rate over its own sending span, added up (tenants
    # start a little apart, after the portfolio digests; this does not count that against them).
    rate = sum((len(v) - 1) / (max(v) - min(v)) for v in digest_by_tenant.values() if len(v) > 1 and max(v) > min(v))
    by_tenant: dict[str, list[float]] = {}
    by_conversation: dict[str, list[float]] = {}
    for stamp, kind, conversation, tenant in records:
        if kind in ("send", "reply", "update"):
            by_tenant.setdefault(str(tenant), []).append(stamp)
            by_conversation.setdefault(str(conversation), []).append(stamp)
    breaches = [_rate_breaches(sorted(stamps), tenant_rate) for stamps in by_tenant.values()]
    short_breaches, long_breaches = sum(b[0] for b in breaches), sum(b[1] for b in breaches)
    spacing_breaches = sum(1 for stamps in by_conversation.values()
                           for a, b in itertools.pairwise(sorted(stamps)) if b - a < interval * 0.95)
    gaps = [b - a for stamps in by_tenant.values() for a, b in itertools.pairwise(sorted(stamps))]
    digests_sent = result["counts"]["digests"]
    rows = [
        row(f"{prefix}.projects", count, "projects", tenants=tenants, tenant_send_rate=tenant_rate, send_interval=interval,
            aggregate_limit=aggregate),
        row(f"{prefix}.delivered", len(channel), "digests", expected=digests_sent, **extra),
        row(f"{prefix}.delivered_rate", rate, "messages/s", baseline=aggregate, ratio=rate / aggregate,
            note=f"sum of the tenants' rates; configured limit: {tenants} tenants x TENANT_SEND_RATE {tenant_rate}/s, "
                 f"SEND_INTERVAL {interval}s", target=">= 0.95 of the limit", met=rate >= 0.95 * aggregate, **extra),
        row(f"{prefix}.delivered_rate_overall", overall, "messages/s", baseline=aggregate, ratio=overall / aggregate,
            note="all digests over the whole sending span, first to last", **extra),
        row(f"{prefix}.cpu_per_digest", result["cpu_s"] / max(1, digests_sent) * 1000, "ms",
            note="process_time of the whole run-due (record, portfolio digests, sweep) per project digest", **extra),
        row(f"{prefix}.wall", result["wall_s"], "s", **extra),
        row(f"{prefix}.cpu_utilisation", result["cpu_s"] / max(1e-9, result["wall_s"]), "cores",
            note="below 1: the send limits, not the CPU, set the pace", **extra),
        row(f"{prefix}.peak_rss", result["peak_rss_kib"] / 1024, "MiB", **extra),
        row(f"{prefix}.teams_limit_violations", sum(stats["violations"].values()), "requests",
            throttled=stats["throttled"], failed=stats["failed"], **extra),
        row(f"{prefix}.tenant_rate_breaches", short_breaches + long_breaches, "windows",
            one_second=short_breaches, ten_slots=long_breaches,
            note=f"TENANT_SEND_RATE {tenant_rate}/s checked from the stand-in's timestamps: 1 s windows with more than "
                 f"rate + 1 sends, {RATE_WINDOW_SLOTS}/rate s windows with more than {RATE_WINDOW_SLOTS} + 1", **extra),
        row(f"{prefix}.conversation_spacing_breaches", spacing_breaches, "pairs", **extra),
        row(f"{prefix}.tenant_gap_p1", percentile(gaps, 0.01), "s", note=f"configured 1/rate = {1 / tenant_rate:g}s", **extra),
    ]
    return rows


RATE_WINDOW_SLOTS = 10


def _window_breaches(stamps: list[float], window: float, allowed: int) -> int:
    """Windows [t, t + window) starting at a send that hold more than `allowed` sends."""
    breaches = 0
    end = 0
    for start_index, start in enumerate(stamps):
        end = max(end, start_index)
        while end < len(stamps) and stamps[end] - start < window:
            end += 1
        breaches += (end - start_index) > allowed
    return breaches


def _rate_breaches(stamps: list[float], rate: float) -> tuple[int, int]:
    """Breaches of a per-tenant `rate`, counted two ways: one-second windows holding more
    than rate + 1 sends (the rule tests/teams/test_delivery_reliability.py checks), and
    windows of RATE_WINDOW_SLOTS/rate seconds holding more than RATE_WINDOW_SLOTS + 1 (the
    average over ten send slots; the pacing spaces slots exactly, arrivals jitter by ms)."""
    return (_window_breaches(stamps, 1.0, int(rate + 1)),
            _window_breaches(stamps, RATE_WINDOW_SLOTS / rate, RATE_WINDOW_SLOTS + 1))
