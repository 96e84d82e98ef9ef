"""Throttling and transient failures: 429 / 502-504 retried honouring Retry-After; 403 and 404 not."""

from __future__ import annotations

import time

import pytest

from bot.graph.client import GraphClient, GraphRetryPolicy, parse_retry_after
from bot.graph.errors import GraphConsentMissing, GraphNotFound, GraphThrottled, GraphUnavailable
from bot.graph.settings import GraphSettings
from tests.graph.conftest import TENANT_A
from tests.graph.standin import GraphStandIn

pytestmark = pytest.mark.graph
TOLERANCE = 0.6


async def test_429_retry_after_is_honoured(standin: GraphStandIn, graph: GraphClient) -> None:
    standin.tenant(TENANT_A, purchased={"MCOEV": (5, 1)})
    await graph.tokens.token(TENANT_A)  # token first, so only the wait is measured
    standin.fail("GET", "^/subscribedSkus$", 429, retry_after="1")
    started = time.monotonic()
    response = await graph.request("GET", TENANT_A, "/subscribedSkus")
    elapsed = time.monotonic() - started
    assert response.status == 200
    first, second = standin.requests_to("^/subscribedSkus$")
    waited = second.at - first.at
    assert 1.0 <= waited < 1.0 + TOLERANCE, f"waited {waited:.3f}s for Retry-After: 1"
    assert elapsed < 1.0 + TOLERANCE


async def test_persistent_429_raises_throttled(standin: GraphStandIn, graph: GraphClient) -> None:
    standin.tenant(TENANT_A, purchased={"MCOEV": (5, 1)})
    standin.fail("GET", "^/subscribedSkus$", 429, retry_after="0", times=100)
    with pytest.raises(GraphThrottled) as throttled:
        await graph.request("GET", TENANT_A, "/subscribedSkus")
    assert throttled.value.retry_after == 0
    assert len(standin.requests_to("^/subscribedSkus$")) == graph.policy.attempts


async def test_retry_after_beyond_our_patience_gives_up_at_once(standin: GraphStandIn, graph: GraphClient) -> None:
    standin.tenant(TENANT_A)
    standin.fail("GET", "^/subscribedSkus$", 429, retry_after="120")
    with pytest.raises(GraphThrottled) as throttled:
        await graph.request("GET", TENANT_A, "/subscribedSkus")
    assert throttled.value.retry_after == 120
    assert len(standin.graph) == 1


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_5xx_retried_with_backoff_then_success(standin: GraphStandIn, graph: GraphClient, status: int) -> None:
    standin.tenant(TENANT_A, purchased={"MCOEV": (5, 1)})
    standin.fail("GET", "^/subscribedSkus$", status, times=2)
    response = await graph.request("GET", TENANT_A, "/subscribedSkus")
    assert response.status == 200 and len(standin.graph) == 3


async def test_persistent_503_is_unavailable(standin: GraphStandIn, graph: GraphClient) -> None:
    standin.tenant(TENANT_A)
    standin.fail("GET", "^/subscribedSkus$", 503, times=100)
    with pytest.raises(GraphUnavailable):
        await graph.request("GET", TENANT_A, "/subscribedSkus")
    assert len(standin.graph) == graph.policy.attempts


async def test_403_and_404_are_not_retried(standin: GraphStandIn, graph: GraphClient) -> None:
    standin.tenant(TENANT_A, denied={"directory"})
    with pytest.raises(GraphConsentMissing) as refused:
        await graph.request("GET", TENANT_A, "/subscribedSkus")
    assert refused.value.code == "Authorization_RequestDenied"
    with pytest.raises(GraphNotFound):
        await graph.request("GET", TENANT_A, "/users/nobody/teamwork/installedApps")
    assert len(standin.graph) == 2


async def test_backoff_is_capped_and_jittered() -> None:
    policy = GraphRetryPolicy(base_delay=0.5, max_delay=4.0)
    for attempt in range(10):
        delay = policy.backoff(attempt)
        capped = min(4.0, 0.5 * 2 ** attempt)
        assert capped / 2 <= delay <= capped
    assert len({policy.backoff(3) for _ in range(20)}) > 1


def test_retry_after_forms() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    from datetime import UTC, datetime
    now = datetime(2026, 11, 26, 15, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Thu, 26 Nov 2026 15:00:30 GMT", lambda: now) == 30.0


async def test_next_link_to_another_host_is_not_followed(standin: GraphStandIn, settings: GraphSettings) -> None:
    standin.tenant(TENANT_A)
    async with GraphClient(settings) as graph:
        with pytest.raises(GraphUnavailable, match="another host"):
            await graph.get_all(TENANT_A, "https://evil.example/v1.0/users")
    assert standin.graph == []
