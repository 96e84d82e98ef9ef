"""Command line: `python -m bot` serves the bot; `python -m bot jobs run-due` runs due work
once; `python -m bot demo` seeds a sample project."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys

from aiohttp import web

from bot.config import ConfigError, Settings
from bot.domain.playbook import PlaybookError
from bot.storage.contract import StoreUnavailable


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Activation bot for Microsoft Teams")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the Bot Framework endpoint (the default)")
    jobs = commands.add_parser("jobs", help="scheduled work")
    jobs.add_argument("job", choices=["run-due"])
    digest = commands.add_parser("digest", help="weekly digests")
    digest_commands = digest.add_subparsers(dest="digest_command", required=True)
    preview = digest_commands.add_parser("preview", help="print a project's digest card JSON")
    preview.add_argument("project_id")
    preview.add_argument("--locale", choices=["en", "es"], default="en")
    demo = commands.add_parser("demo", help="seed a sample project and print its id")
    demo.add_argument("--pm-id", default="", help="Entra object id of the demo PM (default: the Playground user)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print("The bot cannot start:", file=sys.stderr)
        for problem in error.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    from bot.telemetry import configure_logging

    configure_logging(settings.log_level, settings.log_format)  # text, or JSON lines with LOG_FORMAT=json
    log = logging.getLogger("bot")
    if settings.anonymous:
        log.warning("ANONYMOUS MODE: no MicrosoftAppId, requests are NOT authenticated. For local use only.")
    try:
        if args.command in (None, "serve"):
            from bot.app import SHUTDOWN_REQUEST_SECONDS, create_app, settle_memory_for_serving

            log.info("serving on %s:%s with the %s store", settings.host, settings.port, settings.store_kind)
            from bot.telemetry import configure_process

            # Azure Monitor when APPLICATIONINSIGHTS_CONNECTION_STRING is set; otherwise nothing.
            app = create_app(settings, telemetry=configure_process(settings.appinsights_connection_string))
            app.on_startup.append(settle_memory_for_serving)  # runs after the runtime is built
            # run_app turns SIGTERM and SIGINT into a graceful stop; its shutdown_timeout (60 s by
            # default) bounds how long a request in flight holds it (bot/app.py).
            web.run_app(app, host=settings.host, port=settings.port, print=None, shutdown_timeout=SHUTDOWN_REQUEST_SECONDS)
            return 0
        if args.command == "jobs":
            from bot.jobs import run_due
            from bot.telemetry import configure_process

            configure_process(settings.appinsights_connection_string)  # the job's sends traced too
            asyncio.run(run_due(settings))
            return 0
        if args.command == "digest":
            from bot.jobs import digest_preview

            card = asyncio.run(digest_preview(settings, args.project_id, args.locale))
            if card is None:
                print(f"No project {args.project_id!r} in the {settings.store_kind} store.", file=sys.stderr)
                return 1
            print(json.dumps(card, ensure_ascii=False, indent=2))
            return 0
        if args.command == "demo":
            from bot.demo import seed_demo

            print(asyncio.run(seed_demo(settings, pm_id=args.pm_id)))
            return 0
    except (StoreUnavailable, PlaybookError) as error:
        print(f"The bot cannot start: {error}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())
