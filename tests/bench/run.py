"""Every benchmark of the bot, one JSON object per line on standard output.

    python tests/bench/run.py [--quick] [--only confirm,cosmos,scaling,memory,digests,storage,upload]
                              [--out results.jsonl] [--docs docs/performance.md]

Each line has `name`, `value` and `unit`; with a baseline also `baseline` and `ratio`
(value / baseline), and `target`/`met` where a target is set; the first line describes the
machine. `--quick` takes under 5 minutes on 2 cores; `--docs` rewrites the figures page.
Benchmarks: confirm (the click path under 50 clients vs a bare botbuilder bot), cosmos (store
round trips on SQLite and Cosmos), storage (store-level op counts), scaling (status and digest
for 50-500 tasks), memory (RSS with 1,000 and 10,000 projects), digests (the weekly job over
50 tenants), upload (a 5 MB document streamed into each store vs a direct write); each module says more.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.bench import docs, scaling, scenarios  # noqa: E402
from tests.bench.common import Row, emit, log, machine, row  # noqa: E402
from tests.bench.servers import Sink  # noqa: E402
from tests.support.cosmos_server import LOCAL_KEY, CosmosServer  # noqa: E402

SECTIONS = ("scaling", "storage", "confirm", "cosmos", "memory", "digests", "upload")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller and shorter: under 5 minutes on 2 cores")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated subset of {', '.join(SECTIONS)}")
    parser.add_argument("--out", type=Path, help="also write the JSON lines to this file")
    parser.add_argument("--docs", type=Path, help="rewrite this markdown file with the figures of this run")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, stores) and print where it is")
    args = parser.parse_args()
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections: {', '.join(unknown)}")

    started = time.monotonic()
    rows: list[Row] = []
    out = args.out.open("w", encoding="utf-8") if args.out else None

    def publish(new: list[Row]) -> None:
        rows.extend(new)
        emit(new)
        if out:
            emit(new, out)

    info = machine()
    publish([row("machine", info["cpu"], "cpu", nproc=info["nproc"], python=info["python"], platform=info["platform"],
                 mode="quick" if args.quick else "full")])
    work = Path(tempfile.mkdtemp(prefix="bot-bench-"))
    sink: Sink | None = None
    failures: list[str] = []
    try:
        sink = Sink(work, max_seconds=1800 if args.quick else 7200)
        sink.throttle(teams_limits=True)  # the stand-in answers 429 past Teams' documented limits, and counts them
        ctx = scenarios.Context(quick=args.quick, work=work, sink=sink)
        cosmos = CosmosServer() if "cosmos" in chosen else None

        def section(name: str, run: Callable[[], list[Row]]) -> None:
            if name not in chosen:
                return
            t0 = time.monotonic()
            log(f"{name} ...")
            try:
                publish(run())
            except Exception as error:
                failures.append(name)
                log(f"{name} FAILED: {type(error).__name__}: {error}")
                publish([row(f"{name}.failed", str(error)[:300], "error")])
            publish([row(f"bench.{name}.seconds", time.monotonic() - t0, "s")])

        section("scaling", lambda: scaling.run(args.quick))
        section("storage", lambda: _storage(args.quick))
        section("confirm", lambda: scenarios.confirm_sqlite(ctx))
        if cosmos is not None:
            with cosmos:
                section("cosmos", lambda: scenarios.confirm_cosmos(ctx, cosmos.endpoint, LOCAL_KEY))
        section("memory", lambda: scenarios.memory(ctx))
        section("digests", lambda: scenarios.digests(ctx))
        section("upload", lambda: _upload(args.quick))
    finally:
        if sink is not None:
            sink.stop()
        if args.keep:
            log(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    publish([row("bench.total.seconds", time.monotonic() - started, "s", mode="quick" if args.quick else "full")])
    if out:
        out.close()
    if args.docs:
        args.docs.write_text(docs.render(rows, quick=args.quick), encoding="utf-8")
        log(f"wrote {args.docs}")
    if failures:
        log(f"sections that failed: {', '.join(failures)}")
        return 1
    return 0


def _upload(quick: bool) -> list[Row]:
    from tests.bench import upload

    return upload.run(quick)


def _storage(quick: bool) -> list[Row]:
    from tests.bench import cosmos_ops

    return [{**r, "source": "tests/bench/cosmos_ops.py"} for r in cosmos_ops.run(quick)]


if __name__ == "__main__":
    sys.exit(main())
