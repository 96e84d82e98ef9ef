"""The privacy statement and terms of use: served by the bot at the paths the manifest names,
in Spanish and English, and the manifest's webApplicationInfo names the Graph app."""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path
from urllib.parse import urlparse

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.app import create_app
from bot.config import Settings
from bot.domain.catalogue import STRINGS
from tests.teams.conftest import harness_env

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "deploy" / "appPackage"))
import build_package  # noqa: E402

VALUES = build_package.PackageValues(teams_app_id="6f1f3d2a-1b2c-4d5e-8f90-123456789abc",
                                     bot_id="0b5e6b1e-7d6f-4a4e-9d0c-5a1f3e2d4c6b", bot_domain="bot.example.com")


def visible_text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.mark.parametrize("field", ["privacyUrl", "termsOfUseUrl"])
async def test_the_manifest_urls_are_served_in_both_languages(tmp_path: Path, field: str) -> None:
    manifest = build_package.render_manifest(VALUES)
    path = urlparse(manifest["developer"][field]).path
    page_key = {"privacyUrl": "privacy", "termsOfUseUrl": "terms"}[field]
    server = TestServer(create_app(Settings.from_env(harness_env(tmp_path)), scheduler=False), host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            pages = {}
            for language, headers, query in (("en", {}, ""), ("es", {"Accept-Language": "es-MX,es;q=0.9"}, ""),
                                             ("en", {"Accept-Language": "es"}, "?lang=en"), ("es", {}, "?lang=es")):
                async with session.get(str(server.make_url(path + query)), headers=headers) as response:
                    assert response.status == 200 and response.content_type == "text/html"
                    assert response.headers["Content-Language"] == language
                    pages[(language, query)] = await response.text()
    finally:
        await server.close()
    for (language, _), page in pages.items():
        assert f'<html lang="{language}">' in page
        text = visible_text(page)
        for key, entry in STRINGS.items():
            if key.startswith(f"legal.{page_key}.p"):
                plain = entry.get(language).split("**")[0]  # type: ignore[union-attr]
                assert plain[:60] in text, f"{key} ({language}) missing"
    assert pages[("en", "")] == pages[("en", "?lang=en")] and pages[("es", "")] == pages[("es", "?lang=es")]


def test_web_application_info_is_the_graph_app_defaulting_to_the_bot() -> None:
    manifest = build_package.render_manifest(VALUES)
    assert manifest["webApplicationInfo"] == {"id": VALUES.bot_id}
    graph_id = "9a8b7c6d-1111-2222-3333-444455556666"
    values = build_package.values_from_env({"TEAMS_APP_ID": VALUES.teams_app_id, "BOT_ID": VALUES.bot_id,
                                            "BOT_DOMAIN": VALUES.bot_domain, "GRAPH_CLIENT_ID": graph_id})
    assert build_package.render_manifest(values)["webApplicationInfo"]["id"] == graph_id
    with pytest.raises(build_package.PackageError, match="GRAPH_APP_ID must be a GUID"):
        build_package.render_manifest(build_package.PackageValues(**{**VALUES.__dict__, "graph_app_id": "graph"}))


def test_deploy_readme_and_graph_doc_agree_on_permissions() -> None:
    graph = (REPO / "docs" / "graph.md").read_text(encoding="utf-8")
    deploy = (REPO / "deploy" / "README.md").read_text(encoding="utf-8")
    permissions = set(re.findall(r"`([A-Z][A-Za-z]+(?:\.[A-Z][A-Za-z]+)+\.All)`", graph))
    assert "TeamsAppInstallation.ReadWriteSelfForUser.All" in permissions
    for permission in permissions:
        assert permission in deploy, f"deploy/README.md does not mention {permission} (docs/graph.md does)"
    assert "webApplicationInfo" in deploy and "webApplicationInfo" in graph
    assert "there is no `webApplicationInfo`" not in deploy
