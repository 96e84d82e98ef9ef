"""The baseline: a bare botbuilder bot answering `adaptiveCard/action` with a fixed card.

    python tests/bench/bare_bot.py --port PORT [--card card.json]

The botbuilder sample shape and nothing more: a minimal ActivityHandler on CloudAdapter
(ConfigurationBotFrameworkAuthentication without an app id, i.e. anonymous) behind aiohttp,
answering with an InvokeResponse whose body is a typed AdaptiveCardInvokeResponse
(statusCode 200, application/vnd.microsoft.card.adaptive), written by CloudAdapter.process.
No store, no state. GET /healthz answers 200.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from aiohttp import web
from botbuilder.core import ActivityHandler, InvokeResponse, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import AdaptiveCardInvokeResponse

FIXED_CARD: dict[str, Any] = {
    "type": "AdaptiveCard",
    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
    "version": "1.5",
    "body": [{"type": "TextBlock", "text": "Done", "wrap": True}],
}


class Config:
    APP_ID = ""
    APP_PASSWORD = ""
    APP_TYPE = "MultiTenant"
    APP_TENANTID = ""


class BareBot(ActivityHandler):
    def __init__(self, card: dict[str, Any]) -> None:
        self.card = card

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        if turn_context.activity.name != "adaptiveCard/action":
            return await super().on_invoke_activity(turn_context)
        # The body stays a model: CloudAdapter.process serialises it with msrest (a dict body
        # fails there, and so does ActivityHandler.on_adaptive_card_invoke, which pre-serialises).
        return InvokeResponse(status=200, body=AdaptiveCardInvokeResponse(
            status_code=200, type="application/vnd.microsoft.card.adaptive", value=self.card))


def make_app(card: dict[str, Any]) -> web.Application:
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(Config()))
    bot = BareBot(card)

    async def messages(request: web.Request) -> web.Response:
        response = await adapter.process(request, bot)
        return response if response is not None else web.Response(status=201)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--card", type=Path)
    args = parser.parse_args()
    fixed = json.loads(args.card.read_text(encoding="utf-8")) if args.card else FIXED_CARD
    web.run_app(make_app(fixed), host="127.0.0.1", port=args.port, print=None)
