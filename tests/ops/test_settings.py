"""Settings: every boolean in the usual spellings or a clear start-up error; single-tenant by
default, and its tenant id required at start-up rather than a 401 on every send."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, Settings

APP = {"MicrosoftAppId": "0b5e6b1e-7d6f-4a4e-9d0c-5a1f3e2d4c6b", "MicrosoftAppPassword": "pw"}
TENANT = "11111111-1111-1111-1111-111111111111"


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("true", True), ("Yes", True), ("ON", True), (" on ", True),
                                               ("0", False), ("false", False), ("no", False), ("Off", False)])
def test_booleans_accept_the_usual_spellings(raw: str, expected: bool) -> None:
    assert Settings.from_env({"ALLOW_ANONYMOUS": "1", "SCHEDULER": raw}).scheduler_enabled is expected
    anonymous = Settings.from_env({"ALLOW_ANONYMOUS": raw, **({} if expected else APP), "MicrosoftAppTenantId": TENANT})
    assert anonymous.allow_anonymous is expected


def test_scheduler_defaults_on_and_a_bad_spelling_fails_start_up() -> None:
    assert Settings.from_env({"ALLOW_ANONYMOUS": "1"}).scheduler_enabled is True
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"ALLOW_ANONYMOUS": "1", "SCHEDULER": "nope"})
    assert refused.value.problems == ["SCHEDULER must be 1 or 0 (or true/false, yes/no, on/off), not 'nope'"]


def test_single_tenant_by_default_and_its_tenant_is_required() -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env(APP)
    assert any("MicrosoftAppTenantId" in p and "SingleTenant (the default)" in p for p in refused.value.problems)
    settings = Settings.from_env({**APP, "MicrosoftAppTenantId": TENANT})
    assert settings.app_type == "SingleTenant" and settings.app_tenant_id == TENANT
    with pytest.raises(ConfigError, match=r"MicrosoftAppTenantId .* is required when MicrosoftAppType=UserAssignedMSI"):
        Settings.from_env({"MicrosoftAppId": APP["MicrosoftAppId"], "MicrosoftAppType": "UserAssignedMSI"})
    with pytest.raises(ConfigError, match="must be a tenant id"):
        Settings.from_env({**APP, "MicrosoftAppTenantId": "contoso"})
    assert Settings.from_env({**APP, "MicrosoftAppType": "MultiTenant"}).app_type == "MultiTenant"  # older registrations


def test_send_shares_and_log_format() -> None:
    settings = Settings.from_env({"ALLOW_ANONYMOUS": "1", "SEND_SHARES": "4", "LOG_FORMAT": "JSON"})
    assert (settings.send_shares, settings.log_format) == (4, "json")
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"ALLOW_ANONYMOUS": "1", "SEND_SHARES": "0", "LOG_FORMAT": "xml"})
    assert len(refused.value.problems) == 2
