"""One send budget for a whole deployment: every process keeps an equal share of it.

Teams counts requests per app and tenant (50/s) and per conversation (7/s, 60/30 s) over all
of a bot's senders. A deployment runs `SEND_SHARES` of them (the Bicep sets the Container
App's most replicas plus the job); each paces itself to 1/SEND_SHARES of the tenant rate and
SEND_SHARES times the conversation spacing, so the sum of all of them stays inside both
limits whatever each one sends, with no store call per send. README "One send budget"
argues the choice against a budget kept in the store.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.delivery.limits import SendLimits

TEAMS_TENANT_LIMIT = 50.0  # requests per second per app and tenant
TEAMS_CONVERSATION_LIMIT = 7  # messages per second per conversation


@dataclass(frozen=True, slots=True)
class SendBudget:
    """The deployment's budget (the settings' SEND_INTERVAL and TENANT_SEND_RATE) and how many
    processes share it."""

    per_conversation_interval: float = 1.0
    per_tenant_rate: float = 30.0
    shares: int = 1

    def __post_init__(self) -> None:
        if self.shares < 1:
            raise ValueError("a budget is shared by at least one process")

    @property
    def process_tenant_rate(self) -> float:
        return self.per_tenant_rate / self.shares

    @property
    def process_conversation_interval(self) -> float:
        return self.per_conversation_interval * self.shares

    def worst_tenant_second(self) -> int:
        """Most requests all processes together can start to one tenant in any 1 s window: each
        starts at most floor(rate) + 1 in a closed second at its own spacing."""
        return self.shares * (int(self.process_tenant_rate) + 1)

    def limits(self) -> SendLimits:
        """This process's pacing."""
        return SendLimits(per_conversation_interval=self.process_conversation_interval,
                          per_tenant_rate=self.process_tenant_rate)
