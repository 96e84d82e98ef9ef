"""docs/performance.md, written from one run's rows (`python tests/bench/run.py --docs ...`)."""

from __future__ import annotations

import time
from typing import Any

from tests.bench.common import Row


class Figures:
    def __init__(self, rows: list[Row]) -> None:
        self.by_name = {r["name"]: r for r in rows}

    def get(self, name: str, key: str = "value") -> Any:
        return self.by_name.get(name, {}).get(key)

    def f(self, name: str, digits: int = 1, key: str = "value") -> str:
        value = self.get(name, key)
        if value is None:
            return "—"
        if isinstance(value, bool):
            return "yes" if value else "**no**"
        if isinstance(value, int | float):
            return f"{value:,.{digits}f}"
        return str(value)

    def met(self, name: str) -> str:
        value = self.get(name, "met")
        return "—" if value is None else ("met" if value else "**not met**")


def render(rows: list[Row], *, quick: bool) -> str:
    g = Figures(rows)
    machine = g.by_name.get("machine", {})
    mode = "quick (`--quick`)" if quick else "full"
    out: list[str] = []
    add = out.append
    add("# Performance")
    add("")
    add("Figures from the bot's benchmark suite (`tests/bench/`), as written by its last run. Every bot")
    add("runs in its own process (`python -m bot`, the real aiohttp app); the load comes from another")
    add("process (`tests/bench/loadgen.py`, aiohttp clients); proactive messages go to the Bot Connector")
    add("stand-in of `tests/support/` in a third process, which enforces Teams' documented rate limits")
    add("(429 past them) and counts any violation. Everything runs on loopback, bounded in count and time.")
    add("")
    add("Reproduce (under 5 minutes on 2 cores; the full run takes longer and gives steadier figures):")
    add("")
    add("```bash")
    add("python tests/bench/run.py --quick                 # JSON lines on stdout")
    add("python tests/bench/run.py --quick --docs docs/performance.md   # also rewrite this page")
    add("python tests/bench/run.py                         # full: 10,000-project digests, longer windows")
    add("```")
    add("")
    add("## Machine")
    add("")
    add("| | |")
    add("| --- | --- |")
    add(f"| CPU | {machine.get('value', '?')} |")
    add(f"| cores (nproc) | {machine.get('nproc', '?')} |")
    add(f"| Python | {machine.get('python', '?')} |")
    add(f"| platform | {machine.get('platform', '?')} |")
    add(f"| run | {mode}, {time.strftime('%Y-%m-%d')}, {g.f('bench.total.seconds', 0)} s |")
    add("")
    add("## Targets")
    add("")
    add("| target | figure | | with the proposed fixes (below) |")
    add("| --- | --- | --- | --- |")
    proposed_ratio = _ratio(g.get("confirm.sqlite_proposed.c50.rps"), g.get("confirm.bare.c50.rps"))
    add(f"| confirm throughput at 50 clients ≥ ½ of a bare botbuilder bot | {g.f('confirm.sqlite.c50.rps')} vs "
        f"{g.f('confirm.bare.c50.rps')} requests/s (ratio {g.f('target.confirm_throughput_half_of_bare', 2)}) "
        f"| {g.met('target.confirm_throughput_half_of_bare')} | {g.f('confirm.sqlite_proposed.c50.rps')} requests/s, "
        f"ratio {proposed_ratio} (finding 1) |")
    add(f"| confirm p99 < 250 ms at 50 clients | {g.f('confirm.sqlite.c50.p99', 0)} ms (bare bot: "
        f"{g.f('confirm.bare.c50.p99', 0)} ms); at a steady 20 clicks/s: {g.f('confirm.sqlite.open20.p99', 0)} ms "
        f"| {g.met('target.confirm_p99_under_250ms')} | {g.f('confirm.sqlite_proposed.c50.p99', 0)} ms |")
    add(f"| status answer grows linearly or better (exponent ≤ 1.1) | {g.f('answer.status.growth_exponent', 2)} "
        f"| {g.met('answer.status.growth_exponent')} | |")
    add(f"| digest answer grows linearly or better (exponent ≤ 1.1) | {g.f('answer.digest.growth_exponent', 2)} "
        f"| {g.met('answer.digest.growth_exponent')} | |")
    add(f"| RSS flat from 1,000 to 10,000 projects (ratio ≤ 1.1) | {g.f('memory.rss.ratio_10000_to_1000', 3)} "
        f"| {g.met('memory.rss.ratio_10000_to_1000')} | |")
    add(f"| digests delivered at ≥ 95 % of the configured limit | {g.f('digest.delivered_rate')} of "
        f"{g.f('digest.delivered_rate', key='baseline')} messages/s ({_pct(g, 'digest.delivered_rate')}) "
        f"| {g.met('digest.delivered_rate')} | {g.f('digest_proposed.delivered_rate')} messages/s "
        f"({_pct(g, 'digest_proposed.delivered_rate')}, finding 2) |")
    violations = sum(int(g.get(n) or 0) for n in ("digest.teams_limit_violations", "digest.tenant_rate_breaches",
                                                   "digest.conversation_spacing_breaches", "confirm.sqlite.limit_violations"))
    add(f"| no Teams-limit violation, configured per-tenant rate kept | {violations} | "
        f"{'met' if violations == 0 else '**not met**'} | {g.f('digest_proposed.teams_limit_violations', 0)} + "
        f"{g.f('digest_proposed.tenant_rate_breaches', 0)} |")
    add("")
    add("## Confirm path (`adaptiveCard/action`), SQLite store")
    add("")
    add("Each click confirms a distinct ready task with its current rev, by a person who may confirm it")
    add("(1,000 seeded projects over 10 tenants); afterwards every clicked task is checked to be done in the")
    add("store. The bare bot is a minimal `ActivityHandler` on `CloudAdapter` answering the same invoke with")
    add("a fixed task card of the same size. *Proposed* is the same bot with the connector-client fix below,")
    add("applied from outside (`tests/bench/proposed_bot.py`).")
    add("")
    add("| | bare botbuilder | this bot | this bot, proposed fix |")
    add("| --- | --- | --- | --- |")
    for label, name, unit, digits in (
        ("50 clients, closed loop: requests/s", "c50.rps", "", 1),
        ("50 clients: p50", "c50.p50", " ms", 0),
        ("50 clients: p95", "c50.p95", " ms", 0),
        ("50 clients: p99", "c50.p99", " ms", 0),
        ("1 client: p50", "c1.p50", " ms", 1),
        ("1 client: p99", "c1.p99", " ms", 1),
        ("open loop, 20 clicks/s: p50", "open20.p50", " ms", 1),
        ("open loop, 20 clicks/s: p99", "open20.p99", " ms", 1),
        ("bot CPU per click (with its deliveries)", "cpu_per_click", " ms", 1),
    ):
        add(f"| {label} | {g.f('confirm.bare.' + name, digits)}{unit} | {g.f('confirm.sqlite.' + name, digits)}{unit} "
            f"| {g.f('confirm.sqlite_proposed.' + name, digits)}{unit} |")
    add(f"| clicked tasks found done afterwards | — | {_pct(g, 'confirm.sqlite.verified', value=True)} "
        f"| {_pct(g, 'confirm.sqlite_proposed.verified', value=True)} |")
    add("")
    add("With 50 clients each clicking again as soon as answered, latency is 50 ÷ throughput (Little's")
    add("law): a p99 under 250 ms needs about 200 clicks/s, more than the bare botbuilder bot does on these")
    add("2 cores. At a steady 20 clicks/s (open loop, latency counted from each click's due time) the p99")
    add("is well under 250 ms.")
    add("")
    add("## Cosmos DB (local `@vercel/cosmosdb-server`)")
    add("")
    add("Store round trips per action, counted in-process through the real aiohttp app, one action at a")
    add("time: the request until its answer, then the deliveries it caused (its outbox drain). The app is a")
    add("fresh instance on projects another instance wrote, so on Cosmos each first save of a project also")
    add("re-creates the previous event batch (answered 409; `confirmation_restarted` below): one create more")
    add("than in steady state.")
    add("")
    add("| action | SQLite ops | Cosmos ops | SQLite p50 | Cosmos p50 |")
    add("| --- | --- | --- | --- | --- |")
    for action, part in (("confirm", "request"), ("confirm", "delivery"), ("status", "request")):
        add(f"| {action} ({part}) | {_ops(g, 'sqlite', action, part)} | {_ops(g, 'cosmos', action, part)} "
            f"| {g.f(f'ops.sqlite.{action}.{part}.p50')} ms | {g.f(f'ops.cosmos.{action}.{part}.p50')} ms |")
    add("")
    add(f"Confirm through `python -m bot` on Cosmos DB, 50 clients: {g.f('confirm.cosmos.c50.rps')} requests/s, "
        f"p50 {g.f('confirm.cosmos.c50.p50', 0)} ms, p99 {g.f('confirm.cosmos.c50.p99', 0)} ms; "
        f"{g.f('confirm.cosmos.cpu_per_click')} ms of bot CPU per click (the Cosmos SDK's HTTPS and JSON; the")
    add("local server shares the 2 cores). Absolute Cosmos latencies here say nothing about Azure; the counts do.")
    add("")
    add("Store level (`tests/bench/cosmos_ops.py`, included in the run):")
    add("")
    add("| operation | SQLite | Cosmos |")
    add("| --- | --- | --- |")
    for op in ("confirmation", "status_read", "create_project", "confirmation_restarted"):
        add(f"| {op}: round trips | {_store_ops(g, 'sqlite', op)} | {_store_ops(g, 'cosmos', op)} |")
        add(f"| {op}: p50 | {g.f(f'storage.sqlite.{op}.p50', 2)} ms | {g.f(f'storage.cosmos.{op}.p50', 2)} ms |")
    add("")
    add("## Status and digest answers by project size")
    add("")
    add("Synthetic playbooks parsed by `parse_playbook` (a dependency tree, 40 % done, some blocked and")
    add("overdue); time to build the card and encode it as JSON.")
    add("")
    add("| tasks | status | digest |")
    add("| --- | --- | --- |")
    for size in (50, 200, 500):
        add(f"| {size} | {g.f(f'answer.status.tasks_{size}', 2)} ms | {g.f(f'answer.digest.tasks_{size}', 2)} ms |")
    add(f"| growth exponent (log-log fit) | {g.f('answer.status.growth_exponent', 2)} "
        f"| {g.f('answer.digest.growth_exponent', 2)} |")
    add("")
    add("## Memory")
    add("")
    add("RSS of `python -m bot` (VmRSS), a fresh process each time, idle and after a burst of status and")
    add("confirm requests each on a different project.")
    add("")
    add("| | 1,000 projects | 10,000 projects |")
    add("| --- | --- | --- |")
    add(f"| idle | {g.f('memory.rss.projects_1000.idle')} MiB | {g.f('memory.rss.projects_10000.idle')} MiB |")
    add(f"| after a burst | {g.f('memory.rss.projects_1000.burst1')} MiB | {g.f('memory.rss.projects_10000.burst1')} MiB |")
    add(f"| after a second burst on other projects | — | {g.f('memory.rss.projects_10000.burst2')} MiB |")
    add("")
    add(f"Ratio 10,000 : 1,000 after the burst: {g.f('memory.rss.ratio_10000_to_1000', 3)}. What grows is per request,")
    add(f"not per project: {g.f('memory.rss.growth_per_request')} KiB per request (see the findings).")
    add("")
    add("## Weekly digests at scale")
    add("")
    add(f"{g.f('digest.projects', 0)} projects over {g.get('digest.projects', 'tenants') or '?'} tenants, every digest due, run by the")
    add("scheduled job (`bot.jobs.run_due` in its own process, `tests/bench/digest_job.py`); each project's")
    add("channel is its own conversation on the stand-in. The limits are set so that they, not the CPU, are")
    add(f"the bottleneck: TENANT_SEND_RATE {g.f('digest.projects', 1, key='tenant_send_rate')}/s per tenant, SEND_INTERVAL "
        f"{g.f('digest.projects', 1, key='send_interval')} s per conversation, so "
        f"{g.f('digest.projects', 0, key='aggregate_limit')} messages/s in all.")
    add("")
    add("| | current sweep | proposed per-tenant sweep |")
    add("| --- | --- | --- |")
    for label, name, unit, digits in (
        ("digests delivered", "delivered", "", 0),
        ("delivered rate (sum of tenants' rates)", "delivered_rate", " messages/s", 1),
        ("delivered rate, first to last digest", "delivered_rate_overall", " messages/s", 1),
        ("CPU per digest (whole run-due)", "cpu_per_digest", " ms", 1),
        ("wall time of run-due", "wall", " s", 0),
        ("CPU used", "cpu_utilisation", " cores", 2),
        ("peak RSS", "peak_rss", " MiB", 0),
        ("Teams-limit violations (stand-in)", "teams_limit_violations", "", 0),
        ("per-tenant rate breaches (timestamps)", "tenant_rate_breaches", "", 0),
        ("per-conversation spacing breaches", "conversation_spacing_breaches", "", 0),
    ):
        add(f"| {label} | {g.f('digest.' + name, digits)}{unit} | {g.f('digest_proposed.' + name, digits)}{unit} |")
    add(f"| share of the configured limit | {_pct(g, 'digest.delivered_rate')} | {_pct(g, 'digest_proposed.delivered_rate')} |")
    add("")
    add(f"A scheduler tick with nothing due (run-due right after): {g.f('run_due_idle.cpu', 2)} s of CPU for "
        f"{g.f('digest.projects', 0)} projects, {g.f('run_due_idle.cpu_per_project', 2)} ms per project; with 10,000")
    add(f"active projects and a tick every 30 s that is about {g.f('run_due_idle.core_share_10000_projects', 2)} of a core, all the time.")
    add("")
    add(FINDINGS.format(
        ours_cpu=g.f("confirm.sqlite.cpu_per_click"), proposed_cpu=g.f("confirm.sqlite_proposed.cpu_per_click"),
        ours_rps=g.f("confirm.sqlite.c50.rps"), proposed_rps=g.f("confirm.sqlite_proposed.c50.rps"),
        bare_rps=g.f("confirm.bare.c50.rps"),
        current_pct=_pct(g, "digest.delivered_rate"), proposed_pct=_pct(g, "digest_proposed.delivered_rate"),
        growth=g.f("memory.rss.growth_per_request"),
        idle_share=g.f("run_due_idle.core_share_10000_projects", 2),
        job_peak=g.f("digest.peak_rss", 0), projects=g.f("digest.projects", 0),
        idle_rss=g.f("memory.rss.projects_10000.idle", 0),
    ))
    return "\n".join(out) + "\n"


def _ratio(value: Any, base: Any) -> str:
    return f"{value / base:.2f}" if isinstance(value, int | float) and isinstance(base, int | float) and base else "—"


def _pct(g: Figures, name: str, value: bool = False) -> str:
    number = g.get(name) if value else g.get(name, "ratio")
    return "—" if number is None else f"{100 * number:.0f} %"


def _ops(g: Figures, store: str, action: str, part: str) -> str:
    prefix = f"ops.{store}.{action}.{part}."
    kinds = [(n[len(prefix):], r["value"]) for n, r in g.by_name.items()
             if n.startswith(prefix) and n[len(prefix):] not in ("total", "p50", "p95")]
    total = g.get(prefix + "total")
    detail = ", ".join(f"{v:g} {k}" for k, v in kinds if v)
    return f"{total:g} ({detail})" if total else "0"


def _store_ops(g: Figures, store: str, operation: str) -> str:
    prefix = f"storage.{store}.{operation}.ops."
    kinds = [(n[len(prefix):], r["value"]) for n, r in g.by_name.items()
             if n.startswith(prefix) and not n.endswith(".max")]
    return ", ".join(f"{v:g} {k}" for k, v in kinds) or "—"


FINDINGS = """## Findings and proposed fixes

Measured here, not changed in the bot (the proposals name the file and the change).

1. **Connector clients rebuilt on every turn** (the largest CPU cost of a click). botbuilder 4.17.1
   builds a new `ConnectorClient` and a new `UserTokenClient` for every incoming activity and every
   proactive send; each builds an msrest configuration whose `ClientRetryPolicy` runs
   `[i for i in range(999) if i not in safe_codes]` over a 500-item list, about 3 ms of CPU, so about
   6 ms per turn, and each client opens its own HTTP session (no connection reuse). A click is two
   turns (the invoke and the channel note it causes). Proposal for `bot/teams/auth.py`:
   `TeamsBotAuthentication.create_connector_factory` returns a factory that caches the
   `ConnectorClient` per (app id, service URL, audience), and `create_user_token_client` caches its
   client per app id (the bot uses no user tokens). Measured with `tests/bench/proposed_bot.py`:
   CPU per click {ours_cpu} → {proposed_cpu} ms, throughput at 50 clients {ours_rps} → {proposed_rps}
   requests/s (bare bot: {bare_rps}).
2. **Outbox sweep paced by pages, not by the limits** (digest delivery at {current_pct} of the
   configured limit). `Runtime.sweep_outbox` drains one page of 100 projects at a time, 32 at once,
   and waits for the whole page before listing the next: a tenant with several projects in a page
   holds the page back while the other tenants' send slots go unused, and at most 32 of 50 tenants
   are ever sending. Proposal for `bot/app.py`: list the ids and tenants of the projects owing
   messages (`ProjectSummary.tenant_id`), then drain each tenant's projects in a worker of its own,
   all tenants at once (bounded, e.g. 256). Measured with `tests/bench/digest_job.py --sweep
   per-tenant`: {proposed_pct} of the limit, no violation.
3. **Needless store reads on the confirm path and in every drain.** `ActivationService.act_on_task`
   loads the project, copies it (`Project.from_dict(to_dict())`) to probe the decision, then
   `update_project` loads it again: one read and two full conversions too many. Proposal: decide on
   the loaded project (a refusal raises before any change) and let `update_project` take an
   optional already-loaded `Versioned[Project]` for its first attempt. `OutboxSender.drain` for a
   one-item outbox does 5 reads and 3 replaces (take lease; reload; settle; reload; release):
   reuse the project `update_project` returns instead of reloading, and clear the lease in the
   same write that removes the last item: 2 reads and 2 replaces. On Cosmos each read is a round trip.
4. **Every scheduler tick scans every active project.** `ScheduledWork.send_reminders` loads each
   active project and computes its schedule on every `run_due` (every 30 s with the in-process
   scheduler), although a person gets at most one reminder a day; `send_portfolio_digests` loads each
   recorded project only to read `pm_ids` (already in `ProjectSummary`), and `record_due_digests`
   loads each project before `update_project` loads it again. With 10,000 projects a tick with nothing
   due costs about {idle_share} of a core. Proposal: keep a `next_reminder_at` per project (like
   `next_digest_at`, indexed in both stores) and query `reminder_due_before=now`; use summaries for PM ids.
5. **`Runtime.received` keeps every activity body** (about 5 KiB each, up to 10,000: about 50 MiB
   per process). It is the tests' record of what arrived; RSS grows by {growth} KiB per request until
   the cap. Proposal: keep it only when a test asks (a constructor flag), or as a small `deque(maxlen=...)`.
   Two smaller per-process maps also only grow: `OutboxSender._locks` (a lock per project ever
   drained) and `SendLimits._next_slot` (a float per conversation ever sent to); dropping entries
   whose time has passed keeps them bounded.
6. **The weekly run holds every project of every PM in memory.** `ScheduledWork.send_portfolio_digests`
   collects each PM's active projects in `by_pm[pm_id]` and keeps all the lists until it returns, so
   the job's peak RSS grows with the store: {job_peak} MiB for {projects} projects (the bot idles at
   {idle_rss} MiB). Proposal: build each PM's `DigestView`s as the projects stream in and keep only
   the views (or drop `by_pm[pm_id]` once the PM's card is sent); take the PM ids from the summaries.
7. **A channel command reads bot state twice and writes it back**, though no dialog is active: the
   dialog set loads `ConversationState` (botbuilder reloads an empty state a second time) and
   `save_changes` writes the empty dialog state. Reading it only when the conversation has an active
   dialog (or skipping the write of an empty stack) saves 2 reads and a write per "status".
"""
