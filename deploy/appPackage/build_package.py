"""Build the Teams app package (.zip) from the manifest template and environment values.

    TEAMS_APP_ID=... BOT_ID=... BOT_DOMAIN=... \
        python deploy/appPackage/build_package.py --out deploy/appPackage/build/activation-bot.zip

Required: TEAMS_APP_ID (keep it for every later version), BOT_ID (or MicrosoftAppId) and
BOT_DOMAIN; optional: APP_VERSION, DEVELOPER_*, GRAPH_APP_ID. deploy/README.md (step 7 and the
settings table) says what each is. The template's ${{NAME}} placeholders are set by parsing the
JSON and writing each known field, never by rewriting text; a placeholder left over is an error.
Every invalid or missing value is reported at once, with exit status 2 and nothing written.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import sys
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "manifest.template.json"
DEFAULT_OUT = HERE / "build" / "activation-bot.zip"

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
# semver 2.0.0, as the manifest schema asks for.
SEMVER_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
HOST_LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
PLACEHOLDER_RE = re.compile(r"\$\{\{\s*([A-Za-z0-9_]+)\s*\}\}")

# Where each value goes in the manifest, and the placeholder the template must hold there.
FIELDS: dict[str, tuple[tuple[str | int, ...], ...]] = {
    "TEAMS_APP_ID": (("id",),),
    "APP_VERSION": (("version",),),
    "BOT_ID": (("bots", 0, "botId"),),
    "BOT_DOMAIN": (("validDomains", 0),),
    "DEVELOPER_NAME": (("developer", "name"),),
    "DEVELOPER_WEBSITE_URL": (("developer", "websiteUrl"),),
    "DEVELOPER_PRIVACY_URL": (("developer", "privacyUrl"),),
    "DEVELOPER_TERMS_URL": (("developer", "termsOfUseUrl"),),
    "GRAPH_APP_ID": (("webApplicationInfo", "id"),),
}


class PackageError(ValueError):
    """One or more problems with the values or the template; `problems` lists them all."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("cannot build the Teams app package:\n" + "\n".join(f"  - {p}" for p in self.problems))


@dataclass(frozen=True)
class PackageValues:
    teams_app_id: str
    bot_id: str
    bot_domain: str
    app_version: str = "1.0.0"
    developer_name: str = "Activation Bot team"
    developer_website_url: str = ""
    developer_privacy_url: str = ""
    developer_terms_url: str = ""
    graph_app_id: str = ""  # default: bot_id

    def as_fields(self) -> dict[str, str]:
        return {
            "TEAMS_APP_ID": self.teams_app_id,
            "APP_VERSION": self.app_version,
            "BOT_ID": self.bot_id,
            "BOT_DOMAIN": self.bot_domain,
            "DEVELOPER_NAME": self.developer_name,
            "DEVELOPER_WEBSITE_URL": self.developer_website_url or f"https://{self.bot_domain}/",
            "DEVELOPER_PRIVACY_URL": self.developer_privacy_url or f"https://{self.bot_domain}/privacy",
            "DEVELOPER_TERMS_URL": self.developer_terms_url or f"https://{self.bot_domain}/terms",
            "GRAPH_APP_ID": self.graph_app_id or self.bot_id,
        }


def _host_problem(domain: str) -> str | None:
    if "://" in domain or "/" in domain:
        return f"BOT_DOMAIN must be a host name only, without a scheme or path (got {domain!r}); e.g. ca-actbot-prod.example.azurecontainerapps.io"
    if ":" in domain:
        return f"BOT_DOMAIN must not carry a port (got {domain!r}): Teams reaches the bot on 443"
    if domain != domain.lower():
        return f"BOT_DOMAIN must be lower case (got {domain!r})"
    if len(domain) > 253 or "." not in domain:
        return f"BOT_DOMAIN is not a fully qualified host name (got {domain!r})"
    if not all(HOST_LABEL_RE.match(label) for label in domain.split(".")):
        return f"BOT_DOMAIN is not a valid host name (got {domain!r}); wildcards and spaces are not allowed"
    return None


def validate_values(values: PackageValues) -> list[str]:
    """Every problem with the values, in a stable order (empty when they are usable)."""
    problems: list[str] = []
    for name, value in (("TEAMS_APP_ID", values.teams_app_id), ("BOT_ID", values.bot_id)):
        if not value:
            hint = (
                "generate one once (python -c 'import uuid; print(uuid.uuid4())') and keep it"
                if name == "TEAMS_APP_ID"
                else "use the MicrosoftAppId the bot runs with (the deployment's botAppId output)"
            )
            problems.append(f"{name} is missing: {hint}")
        elif not GUID_RE.match(value):
            problems.append(f"{name} must be a GUID like 00000000-0000-0000-0000-000000000000 (got {value!r})")
    if values.graph_app_id and not GUID_RE.match(values.graph_app_id):
        problems.append(f"GRAPH_APP_ID must be a GUID, the Graph app registration's client id (got {values.graph_app_id!r})")
    if not values.bot_domain:
        problems.append("BOT_DOMAIN is missing: use the Container App's host name (the deployment's botDomain output)")
    else:
        host_problem = _host_problem(values.bot_domain)
        if host_problem:
            problems.append(host_problem)
    if not SEMVER_RE.match(values.app_version or ""):
        problems.append(f"APP_VERSION must be a semantic version like 1.0.0 (got {values.app_version!r})")
    if not values.developer_name or len(values.developer_name) > 32:
        problems.append(f"DEVELOPER_NAME must be 1 to 32 characters (got {values.developer_name!r})")
    for name, url in (
        ("DEVELOPER_WEBSITE_URL", values.developer_website_url),
        ("DEVELOPER_PRIVACY_URL", values.developer_privacy_url),
        ("DEVELOPER_TERMS_URL", values.developer_terms_url),
    ):
        if url and not re.match(r"^https://[^\s/]+\.[^\s/]+(/\S*)?$", url):
            problems.append(f"{name} must be an https:// URL (got {url!r})")
    return problems


def values_from_env(env: Mapping[str, str] | None = None, **overrides: str | None) -> PackageValues:
    """Read the values from an environment mapping (os.environ by default); overrides win when not None."""
    env = os.environ if env is None else env

    def pick(key: str, *fallbacks: str, default: str = "") -> str:
        override = overrides.get(key.lower())
        if override is not None:
            return override.strip()
        for name in (key, *fallbacks):
            if env.get(name, "").strip():
                return env[name].strip()
        return default

    return PackageValues(
        teams_app_id=pick("TEAMS_APP_ID"),
        bot_id=pick("BOT_ID", "MicrosoftAppId"),
        bot_domain=pick("BOT_DOMAIN"),
        app_version=pick("APP_VERSION", default="1.0.0"),
        developer_name=pick("DEVELOPER_NAME", default="Activation Bot team"),
        developer_website_url=pick("DEVELOPER_WEBSITE_URL"),
        developer_privacy_url=pick("DEVELOPER_PRIVACY_URL"),
        developer_terms_url=pick("DEVELOPER_TERMS_URL"),
        graph_app_id=pick("GRAPH_APP_ID", "GRAPH_CLIENT_ID"),
    )


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def _walk_strings(node: Any, path: tuple[str | int, ...] = ()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk_strings(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk_strings(value, (*path, index))
    elif isinstance(node, str):
        yield path, node


def _format_path(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _get(node: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


def render_manifest(values: PackageValues, template: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the manifest with every placeholder field set from `values`; raise PackageError on any problem."""
    problems = validate_values(values)
    if problems:
        raise PackageError(problems)
    manifest = copy.deepcopy(dict(template if template is not None else load_template()))
    fields = values.as_fields()
    for name, paths in FIELDS.items():
        for path in paths:
            try:
                current = _get(manifest, path)
            except (KeyError, IndexError, TypeError):
                problems.append(f"template has no field {_format_path(path)} for {name}")
                continue
            if current != f"${{{{{name}}}}}":
                problems.append(f"template field {_format_path(path)} should hold ${{{{{name}}}}}, holds {current!r}")
                continue
            parent = _get(manifest, path[:-1])
            parent[path[-1]] = fields[name]
    for path, text in _walk_strings(manifest):
        for match in PLACEHOLDER_RE.finditer(text):
            problems.append(f"placeholder {match.group(0)} at {_format_path(path)} has no value")
    if problems:
        raise PackageError(problems)
    return manifest


_KEY_PART_RE = re.compile(r"([A-Za-z0-9_]+)((?:\[\d+\])*)")


def localization_key_path(key: str) -> tuple[str | int, ...]:
    """Turn a localization key like 'bots[0].commandLists[1].commands[2].title' into a manifest path."""
    path: list[str | int] = []
    for part in key.split("."):
        match = _KEY_PART_RE.fullmatch(part)
        if not match:
            raise ValueError(f"not a localization key: {key!r}")
        path.append(match.group(1))
        path.extend(int(index) for index in re.findall(r"\[(\d+)\]", match.group(2)))
    return tuple(path)


def localization_files(manifest: Mapping[str, Any]) -> list[str]:
    info = manifest.get("localizationInfo") or {}
    files = []
    if info.get("defaultLanguageFile"):
        files.append(info["defaultLanguageFile"])
    files.extend(entry["file"] for entry in info.get("additionalLanguages", []))
    return files


def default_language_drift(manifest: Mapping[str, Any], strings: Mapping[str, Any]) -> list[str]:
    """Keys of the default language file whose text differs from the manifest's own text."""
    drift = []
    for key, text in strings.items():
        if key == "$schema":
            continue
        try:
            actual = _get(manifest, localization_key_path(key))
        except (KeyError, IndexError, TypeError, ValueError):
            drift.append(f"{key}: not in the manifest")
            continue
        if actual != text:
            drift.append(f"{key}: manifest has {actual!r}, default language file has {text!r}")
    return drift


def package_files(manifest: Mapping[str, Any], source_dir: Path = HERE) -> dict[str, bytes]:
    """The package's files (name -> bytes), manifest first; checks that every referenced file exists."""
    problems = []
    files: dict[str, bytes] = {"manifest.json": (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")}
    icons = manifest.get("icons", {})
    for name in [icons.get("color"), icons.get("outline"), *localization_files(manifest)]:
        if not name:
            continue
        if "/" in name or "\\" in name:
            problems.append(f"{name}: package files must sit at the root of the zip")
            continue
        path = source_dir / name
        if not path.is_file():
            problems.append(f"{name}: referenced by the manifest but missing from {source_dir}")
            continue
        files[name] = path.read_bytes()
    default_file = (manifest.get("localizationInfo") or {}).get("defaultLanguageFile")
    if default_file and default_file in files:
        drift = default_language_drift(manifest, json.loads(files[default_file]))
        problems.extend(f"{default_file} differs from the manifest: {d}" for d in drift)
    if problems:
        raise PackageError(problems)
    return files


def write_zip(files: Mapping[str, bytes], out: Path) -> Path:
    """Write a deterministic zip (fixed timestamps, fixed order) with every file at the root."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    tmp.replace(out)
    return out


def build_package(values: PackageValues, out: Path = DEFAULT_OUT, source_dir: Path = HERE) -> Path:
    manifest = render_manifest(values, load_template(source_dir / "manifest.template.json"))
    return write_zip(package_files(manifest, source_dir), out)


# --- the command lists come from the bot's command table (bot/commands.py) -----------------
SCOPES = {"personal": ["personal"], "team": ["team", "groupChat"]}


def command_lists(language: str = "en") -> list[dict[str, Any]]:
    """The manifest's commandLists as the command table says: one per scope, in table order."""
    repo = str(HERE.parents[1])
    if repo not in sys.path:
        sys.path.insert(0, repo)
    from bot.commands import COMMANDS, MANIFEST_LIMIT
    from bot.domain.catalogue import t

    lists = []
    for scope, scopes in SCOPES.items():
        commands = []
        for spec in COMMANDS:
            if scope in spec.manifest:
                description = t(f"manifest.{spec.name}", "es" if language == "es" else "en")
                commands.append({"title": spec.words(language)[0][:32], "description": description[:128]})
        lists.append({"scopes": scopes, "commands": commands[:MANIFEST_LIMIT]})
    return lists


def _command_strings(language: str) -> dict[str, str]:
    return {f"bots[0].commandLists[{i}].commands[{j}].{field}": command[field]
            for i, command_list in enumerate(command_lists(language))
            for j, command in enumerate(command_list["commands"]) for field in ("title", "description")}


def command_list_drift(source_dir: Path = HERE) -> list[str]:
    """Where the template or a language file says something else than the command table."""
    problems = []
    if load_template(source_dir / "manifest.template.json")["bots"][0]["commandLists"] != command_lists("en"):
        problems.append("manifest.template.json commandLists differ from bot/commands.py")
    for language in ("en", "es"):
        strings = json.loads((source_dir / f"{language}.json").read_text(encoding="utf-8"))
        listed = {k: v for k, v in strings.items() if k.startswith("bots[0].commandLists")}
        if listed != _command_strings(language):
            problems.append(f"{language}.json command strings differ from bot/commands.py")
    return problems


def sync_commands(source_dir: Path = HERE) -> None:
    """Write the command table's lists into the template and both language files."""
    template_path = source_dir / "manifest.template.json"
    template = load_template(template_path)
    template["bots"][0]["commandLists"] = command_lists("en")
    template_path.write_text(json.dumps(template, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for language in ("en", "es"):
        path = source_dir / f"{language}.json"
        strings = {k: v for k, v in json.loads(path.read_text(encoding="utf-8")).items()
                   if not k.startswith("bots[0].commandLists")}
        path.write_text(json.dumps({**strings, **_command_strings(language)}, indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Build the Teams app package from manifest.template.json and environment values.",
        epilog="Options override the environment variables of the same meaning.",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"zip to write (default: {DEFAULT_OUT})")
    parser.add_argument("--teams-app-id", help="overrides TEAMS_APP_ID")
    parser.add_argument("--bot-id", help="overrides BOT_ID / MicrosoftAppId")
    parser.add_argument("--bot-domain", help="overrides BOT_DOMAIN")
    parser.add_argument("--app-version", help="overrides APP_VERSION")
    parser.add_argument("--print-manifest", action="store_true", help="also print the rendered manifest")
    parser.add_argument("--sync-commands", action="store_true",
                        help="write bot/commands.py's command lists into the template and language files, then stop")
    args = parser.parse_args(argv)
    if args.sync_commands:
        sync_commands()
        print("command lists written from bot/commands.py")
        return 0

    values = values_from_env(
        teams_app_id=args.teams_app_id,
        bot_id=args.bot_id,
        bot_domain=args.bot_domain,
        app_version=args.app_version,
    )
    try:
        manifest = render_manifest(values)
        files = package_files(manifest)
    except PackageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    out = write_zip(files, args.out)
    if args.print_manifest:
        print(files["manifest.json"].decode("utf-8"))
    print(f"wrote {out}: {', '.join(files)} (app {values.teams_app_id}, bot {values.bot_id}, domain {values.bot_domain})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
