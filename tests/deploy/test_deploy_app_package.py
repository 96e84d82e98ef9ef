"""Teams app package: manifest against the official schema, localization, icons, the built zip.

Needs node and the repo's node_modules (@microsoft/app-manifest); a missing one fails the
test with the command that installs it, it is never skipped.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
APP_DIR = REPO / "deploy" / "appPackage"
VALIDATOR = Path(__file__).resolve().parent / "validate_manifest.js"
APP_MANIFEST_PKG = REPO / "node_modules" / "@microsoft" / "app-manifest"

SAMPLE = {
    "teams_app_id": "3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b",
    "bot_id": "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
    "bot_domain": "ca-actbot-prod.kindhill-1a2b3c4d.westeurope.azurecontainerapps.io",
}


def _load_build_module():
    spec = importlib.util.spec_from_file_location("deploy_build_package", APP_DIR / "build_package.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up by name
    spec.loader.exec_module(module)
    return module


bp = _load_build_module()


def sample_values(**changes):
    return bp.PackageValues(**{**SAMPLE, **changes})


# --- node validator ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def node() -> str:
    exe = shutil.which("node")
    if exe is None:
        pytest.fail("node is not on PATH: install Node.js 20+ (CI installs it) to validate the Teams manifest")
    if not (APP_MANIFEST_PKG / "package.json").is_file():
        pytest.fail(f"{APP_MANIFEST_PKG} is missing: run `npm install --no-audit --no-fund` in {REPO}")
    return exe


def validate(node: str, *paths: Path) -> dict[str, list[str]]:
    """Run the node validator; return {path: [errors]} for every file."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    # Anything that tried the network would hit a dead port instead of leaving the machine.
    env.update(http_proxy="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9", no_proxy="")
    proc = subprocess.run(
        [node, str(VALIDATOR), *map(str, paths)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"validator exited {proc.returncode}:\n{proc.stderr}"
    results = json.loads(proc.stdout)
    assert set(results) == {str(p) for p in paths}
    return results


def newest_numbered_schema_version() -> str:
    versions = []
    for entry in (APP_MANIFEST_PKG / "build" / "json-schemas" / "teams").iterdir():
        match = re.fullmatch(r"v(\d+)\.(\d+)", entry.name)
        if match and (entry / "MicrosoftTeams.schema.json").is_file():
            versions.append((int(match.group(1)), int(match.group(2))))
    assert versions, "no Teams manifest schemas found in @microsoft/app-manifest"
    major, minor = max(versions)
    return f"{major}.{minor}"


def test_manifest_uses_newest_numbered_schema_shipped(node):
    template = bp.load_template()
    newest = newest_numbered_schema_version()
    assert template["manifestVersion"] == newest, f"bump manifest.template.json (and the localization files) to {newest}"
    assert template["$schema"] == f"https://developer.microsoft.com/json-schemas/teams/v{newest}/MicrosoftTeams.schema.json"
    for name in bp.localization_files(template):
        loc = json.loads((APP_DIR / name).read_text(encoding="utf-8"))
        assert loc["$schema"] == (f"https://developer.microsoft.com/json-schemas/teams/v{newest}/MicrosoftTeams.Localization.schema.json"), name


def test_rendered_manifest_and_localizations_pass_official_schema(node, tmp_path):
    manifest = bp.render_manifest(sample_values())
    manifest_path = tmp_path / "manifest.json"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    loc_paths = [APP_DIR / name for name in bp.localization_files(manifest)]
    assert [p.name for p in loc_paths] == ["en.json", "es.json"]

    results = validate(node, manifest_path, *loc_paths)

    assert results == {str(p): [] for p in (manifest_path, *loc_paths)}


def test_validator_lists_every_error_not_just_the_first(node, tmp_path):
    manifest = bp.render_manifest(sample_values())
    manifest["id"] = "not-a-guid"  # mistake 1: id must be a GUID
    manifest["name"]["short"] = "An app name far longer than thirty characters"  # mistake 2: 30 max
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")

    errors = validate(node, path)[str(path)]

    assert len(errors) == 2, errors
    assert any(e.startswith("/id ") and "pattern" in e for e in errors), errors
    assert any(e.startswith("/name/short ") and "30" in e for e in errors), errors


def test_validator_checks_localization_files(node, tmp_path):
    loc = json.loads((APP_DIR / "es.json").read_text(encoding="utf-8"))
    del loc["description.short"]  # required
    loc["bots[0].commandLists[0].commands[12].title"] = "13th command"  # only 12 commands per list
    path = tmp_path / "es.json"
    path.write_text(json.dumps(loc, ensure_ascii=False), encoding="utf-8")

    errors = validate(node, path)[str(path)]

    assert any("description.short" in e for e in errors), errors
    assert any("commands[12]" in e for e in errors), errors


# --- localization --------------------------------------------------------------------------


def test_default_language_file_matches_manifest_and_spanish_covers_the_same_keys():
    template = bp.load_template()
    info = template["localizationInfo"]
    assert info["defaultLanguageTag"] == "en"
    assert info["additionalLanguages"] == [{"languageTag": "es", "file": "es.json"}]
    en = json.loads((APP_DIR / "en.json").read_text(encoding="utf-8"))
    es = json.loads((APP_DIR / "es.json").read_text(encoding="utf-8"))

    assert bp.default_language_drift(template, en) == []
    assert set(es) == set(en)
    # Every command of every list is localized.
    lists = template["bots"][0]["commandLists"]
    expected = {
        f"bots[0].commandLists[{i}].commands[{j}].{field}"
        for i, command_list in enumerate(lists)
        for j in range(len(command_list["commands"]))
        for field in ("title", "description")
    }
    assert expected <= set(en)


def test_commands_in_english_and_spanish():
    template = bp.load_template()
    es = json.loads((APP_DIR / "es.json").read_text(encoding="utf-8"))
    # The lists come from the bot's command table (bot/commands.py, issue 18): same words as the parser.
    from bot.commands import COMMANDS, parse_command

    assert bp.command_list_drift() == []
    scopes_seen = set()
    for i, command_list in enumerate(template["bots"][0]["commandLists"]):
        scopes_seen.update(command_list["scopes"])
        scope = "personal" if "personal" in command_list["scopes"] else "team"
        listed = [spec for spec in COMMANDS if scope in spec.manifest]
        assert [c["title"] for c in command_list["commands"]] == [spec.en[0] for spec in listed]
        assert [es[f"bots[0].commandLists[{i}].commands[{j}].title"] for j in range(len(listed))] == [s.es[0] for s in listed]
        for spec in listed:  # every word the menu offers is one the bot understands
            assert parse_command(spec.en[0]).name == spec.name or parse_command(spec.en[0]).problem == "missing"
            assert parse_command(spec.es[0]).name == spec.name or parse_command(spec.es[0]).problem == "missing"
    assert {"export", "status all", "foc"} <= {c["title"] for cl in template["bots"][0]["commandLists"] for c in cl["commands"]}
    assert template["bots"][0]["scopes"] == ["personal", "team", "groupChat"]
    assert scopes_seen == {"personal", "team", "groupChat"}


def test_localization_key_paths():
    assert bp.localization_key_path("name.short") == ("name", "short")
    assert bp.localization_key_path("bots[0].commandLists[1].commands[4].title") == (
        "bots",
        0,
        "commandLists",
        1,
        "commands",
        4,
        "title",
    )
    manifest = bp.load_template()
    assert bp.default_language_drift(manifest, {"name.short": "Other"}) == ["name.short: manifest has 'Activation Bot', default language file has 'Other'"]


# --- icons ---------------------------------------------------------------------------------


def read_png(path: Path):
    """Decode an 8-bit, non-interlaced RGB/RGBA PNG: (width, height, color_type, rows of pixel tuples)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, f"{path.name}: bad CRC in {kind!r}"
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color_type, _, _, interlace = header
    assert depth == 8 and interlace == 0 and color_type in (2, 6), header
    channels = 4 if color_type == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up = previous[x]
            up_left = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else up_left)
                line[x] = (line[x] + pred) & 0xFF
        rows.append([tuple(line[i : i + channels]) for i in range(0, stride, channels)])
        previous = line
    return width, height, color_type, rows


def test_color_icon_is_192_square_and_opaque():
    width, height, color_type, rows = read_png(APP_DIR / "color.png")
    assert (width, height) == (192, 192)
    pixels = [p for row in rows for p in row]
    if color_type == 6:
        assert all(p[3] == 255 for p in pixels), "the color icon must not be transparent"
    assert len({p[:3] for p in pixels}) > 2, "the color icon should show a symbol on its background"


def test_outline_icon_is_32_square_white_on_transparent():
    width, height, color_type, rows = read_png(APP_DIR / "outline.png")
    assert (width, height) == (32, 32)
    assert color_type == 6, "the outline icon needs an alpha channel"
    pixels = [p for row in rows for p in row]
    assert any(p[3] == 0 for p in pixels), "no transparent pixels"
    assert any(p[3] == 255 for p in pixels), "no solid pixels"
    assert all(p[:3] == (255, 255, 255) for p in pixels if p[3] > 0), "visible outline pixels must be white"
    assert all(p[3] == 0 for p in rows[0] + rows[-1]), "the outline icon should keep a transparent border"


def test_committed_icons_match_their_generator():
    proc = subprocess.run([sys.executable, str(APP_DIR / "make_icons.py"), "--check"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


# --- build script ---------------------------------------------------------------------------


def test_render_sets_fields_from_values_and_leaves_no_placeholder():
    manifest = bp.render_manifest(sample_values(app_version="1.4.2"))
    assert manifest["id"] == SAMPLE["teams_app_id"]
    assert manifest["bots"][0]["botId"] == SAMPLE["bot_id"]
    assert manifest["validDomains"] == [SAMPLE["bot_domain"]]
    assert manifest["version"] == "1.4.2"
    assert manifest["developer"]["privacyUrl"] == f"https://{SAMPLE['bot_domain']}/privacy"
    assert "${{" not in json.dumps(manifest)
    # The template itself is untouched.
    assert bp.load_template()["id"] == "${{TEAMS_APP_ID}}"


def test_render_refuses_a_placeholder_it_has_no_value_for():
    template = bp.load_template()
    template["description"]["full"] = "Talk to ${{BOT_NAME}} today"
    with pytest.raises(bp.PackageError) as caught:
        bp.render_manifest(sample_values(), template)
    assert caught.value.problems == ["placeholder ${{BOT_NAME}} at description.full has no value"]


def test_render_refuses_a_template_missing_an_expected_placeholder():
    template = bp.load_template()
    template["bots"][0]["botId"] = "00000000-0000-0000-0000-000000000000"
    with pytest.raises(bp.PackageError) as caught:
        bp.render_manifest(sample_values(), template)
    assert any("bots[0].botId should hold ${{BOT_ID}}" in p for p in caught.value.problems)


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"teams_app_id": ""}, "TEAMS_APP_ID is missing"),
        ({"bot_id": "my-bot"}, "BOT_ID must be a GUID"),
        ({"bot_domain": ""}, "BOT_DOMAIN is missing"),
        ({"bot_domain": "https://bot.example.com/api/messages"}, "host name only"),
        ({"bot_domain": "bot.example.com:443"}, "must not carry a port"),
        ({"bot_domain": "*.example.com"}, "not a valid host name"),
        ({"bot_domain": "localhost"}, "not a fully qualified host name"),
        ({"app_version": "1.0"}, "APP_VERSION must be a semantic version"),
        ({"developer_privacy_url": "http://example.com/privacy"}, "DEVELOPER_PRIVACY_URL must be an https:// URL"),
    ],
)
def test_invalid_values_are_refused_with_a_clear_message(changes, fragment):
    with pytest.raises(bp.PackageError) as caught:
        bp.render_manifest(sample_values(**changes))
    assert any(fragment in problem for problem in caught.value.problems), caught.value.problems


def test_values_from_env_reads_names_and_falls_back_to_microsoft_app_id():
    env = {
        "TEAMS_APP_ID": SAMPLE["teams_app_id"],
        "MicrosoftAppId": SAMPLE["bot_id"],
        "BOT_DOMAIN": SAMPLE["bot_domain"],
    }
    values = bp.values_from_env(env)
    assert (values.teams_app_id, values.bot_id, values.bot_domain, values.app_version) == (
        SAMPLE["teams_app_id"],
        SAMPLE["bot_id"],
        SAMPLE["bot_domain"],
        "1.0.0",
    )
    assert bp.values_from_env(env, bot_domain="other.example.com").bot_domain == "other.example.com"


def run_cli(tmp_path: Path, env_values: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    names = {"TEAMS_APP_ID", "BOT_ID", "MicrosoftAppId", "BOT_DOMAIN", "APP_VERSION"}
    env = {k: v for k, v in os.environ.items() if k not in names and not k.startswith("DEVELOPER_")}
    env.update(env_values)
    return subprocess.run(
        [sys.executable, str(APP_DIR / "build_package.py"), "--out", str(tmp_path / "pkg.zip"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_refuses_missing_values_and_names_them_all(tmp_path):
    proc = run_cli(tmp_path, {})
    assert proc.returncode == 2
    for name in ("TEAMS_APP_ID", "BOT_ID", "BOT_DOMAIN"):
        assert f"{name} is missing" in proc.stderr
    assert not (tmp_path / "pkg.zip").exists()


def test_cli_refuses_invalid_values(tmp_path):
    proc = run_cli(
        tmp_path,
        {"TEAMS_APP_ID": "nope", "BOT_ID": SAMPLE["bot_id"], "BOT_DOMAIN": "https://" + SAMPLE["bot_domain"]},
    )
    assert proc.returncode == 2
    assert "TEAMS_APP_ID must be a GUID" in proc.stderr
    assert "BOT_DOMAIN must be a host name only" in proc.stderr
    assert not (tmp_path / "pkg.zip").exists()


def test_cli_builds_zip_with_exactly_the_package_files_at_the_root(tmp_path):
    proc = run_cli(
        tmp_path,
        {"TEAMS_APP_ID": SAMPLE["teams_app_id"], "BOT_ID": SAMPLE["bot_id"], "BOT_DOMAIN": SAMPLE["bot_domain"]},
    )
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(tmp_path / "pkg.zip") as archive:
        names = archive.namelist()
        assert sorted(names) == sorted(["manifest.json", "color.png", "outline.png", "en.json", "es.json"])
        assert all("/" not in name for name in names)
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["id"] == SAMPLE["teams_app_id"]
        assert manifest["bots"][0]["botId"] == SAMPLE["bot_id"]
        assert manifest["validDomains"] == [SAMPLE["bot_domain"]]
        assert "${{" not in archive.read("manifest.json").decode("utf-8")
        for name in ("color.png", "outline.png", "en.json", "es.json"):
            assert archive.read(name) == (APP_DIR / name).read_bytes(), name


def test_zip_is_reproducible(tmp_path):
    first = bp.build_package(sample_values(), tmp_path / "a.zip")
    second = bp.build_package(sample_values(), tmp_path / "b.zip")
    assert first.read_bytes() == second.read_bytes()


def test_built_manifest_passes_official_schema(node, tmp_path):
    zip_path = bp.build_package(sample_values(), tmp_path / "pkg.zip")
    out = tmp_path / "unzipped"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(out)
    files = [out / "manifest.json", out / "en.json", out / "es.json"]
    assert validate(node, *files) == {str(p): [] for p in files}
