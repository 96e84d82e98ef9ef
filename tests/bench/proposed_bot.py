"""`python -m bot` with one PROPOSED change applied from outside, to measure it before anyone
changes bot code: the Bot Connector clients are made once and reused.

    python tests/bench/proposed_bot.py      (same environment as `python -m bot`)

What it measures: botbuilder 4.17.1 builds a new ConnectorClient and a new UserTokenClient
for every incoming turn and every proactive turn (CloudAdapterBase.process_activity /
process_proactive). Each builds an msrest configuration whose ClientRetryPolicy computes
`[i for i in range(999) if i not in safe_codes]` over a 500-item list: about 3 ms of CPU
each, so about 6 ms per turn, and each ConnectorClient opens its own HTTP session (no
connection reuse). The proposal for bot/teams/auth.py: `TeamsBotAuthentication` caches
the connector clients per (app id, service URL, audience) and the user token client per
app id. Nothing else differs from `python -m bot`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from botframework.connector.auth import ClaimsIdentity, ConnectorFactory  # noqa: E402

from bot.teams import auth  # noqa: E402

_clients: dict[tuple[Any, ...], Any] = {}
_token_clients: dict[tuple[Any, ...], Any] = {}


class CachingConnectorFactory(ConnectorFactory):
    def __init__(self, inner: ConnectorFactory) -> None:
        self.inner = inner

    async def create(self, service_url: str, audience: str | None = None) -> Any:
        key = (getattr(self.inner, "_app_id", None), service_url, audience)
        client = _clients.get(key)
        if client is None:
            client = await self.inner.create(service_url, audience)
            _clients[key] = client
        return client


def _identity_key(claims_identity: ClaimsIdentity) -> tuple[Any, ...]:
    claims = getattr(claims_identity, "claims", None) or {}
    return tuple(claims.get(name) for name in ("aud", "azp", "appid", "ver"))


_original_factory = auth.TeamsBotAuthentication.create_connector_factory
_original_token_client = auth.TeamsBotAuthentication.create_user_token_client


def create_connector_factory(self: Any, claims_identity: ClaimsIdentity) -> ConnectorFactory:
    return CachingConnectorFactory(_original_factory(self, claims_identity))


async def create_user_token_client(self: Any, claims_identity: ClaimsIdentity) -> Any:
    key = _identity_key(claims_identity)
    client = _token_clients.get(key)
    if client is None:
        client = await _original_token_client(self, claims_identity)
        _token_clients[key] = client
    return client


auth.TeamsBotAuthentication.create_connector_factory = create_connector_factory  # type: ignore[method-assign]
auth.TeamsBotAuthentication.create_user_token_client = create_user_token_client  # type: ignore[method-assign]

if __name__ == "__main__":
    from bot.__main__ import main

    sys.exit(main())
