"""One-command provisioning, checked offline: azure.yaml (Azure Developer CLI) and m365agents.yml
(Microsoft 365 Agents Toolkit) name only files, parameters, outputs and settings that exist."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "deploy" / "infra"
AZD_BUILTINS = {"AZURE_ENV_NAME", "AZURE_LOCATION", "AZURE_PRINCIPAL_ID", "AZURE_SUBSCRIPTION_ID"}
# Set by the operator with `azd env set` (optional: each has a default in main.parameters.json).
AZD_OPTIONAL = {"ACTBOT_IMAGE", "PM_AAD_IDS", "ALLOWED_TENANT_IDS", "MAX_REPLICAS", "APPS_DEPLOYED"}
_PLACEHOLDER = re.compile(r"\$\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


def load_yaml(name: str) -> dict[str, Any]:
    data = yaml.safe_load((REPO / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{name} is not a mapping"
    return data


def bicep_params(path: Path) -> dict[str, bool]:
    """param name -> has a default."""
    found = {}
    for match in re.finditer(r"^param (\w+) \w+( =)?", path.read_text(encoding="utf-8"), re.M):
        found[match.group(1)] = bool(match.group(2))
    return found


def bicep_outputs(path: Path) -> set[str]:
    return set(re.findall(r"^output (\w+) ", path.read_text(encoding="utf-8"), re.M))


def azd_infra() -> tuple[Path, Path]:
    infra = load_yaml("azure.yaml")["infra"]
    assert infra["provider"] == "bicep"
    template = REPO / infra["path"] / f"{infra['module']}.bicep"
    return template, template.with_name(f"{infra['module']}.parameters.json")


def test_azure_yaml_names_a_template_and_parameters_that_exist() -> None:
    project = load_yaml("azure.yaml")
    assert project["name"] == "activation-bot"
    template, parameters = azd_infra()
    assert template.is_file() and parameters.is_file()
    declared = bicep_params(template)
    given = json.loads(parameters.read_text(encoding="utf-8"))["parameters"]
    assert set(given) <= set(declared), f"parameters the template does not declare: {set(given) - set(declared)}"
    assert {name for name, has_default in declared.items() if not has_default} <= set(given), "a required parameter is not given"
    for name, entry in given.items():
        for variable, default in re.findall(r"\$\{(\w+)(=[^}]*)?\}", json.dumps(entry["value"])):
            assert variable in AZD_BUILTINS or (variable in AZD_OPTIONAL and default), f"{name}: ${{{variable}}} has no source"


def test_the_wrapper_calls_main_bicep_with_its_own_parameters_and_outputs() -> None:
    template, _ = azd_infra()
    source = template.read_text(encoding="utf-8")
    (module_path,) = re.findall(r"^module \w+ '([^']+)'", source, re.M)
    main = (template.parent / module_path).resolve()
    assert main == INFRA / "main.bicep"
    block = source.split("params: {", 1)[1].split("\n  }\n", 1)[0]
    passed = set(re.findall(r"^\s{4}(\w+):", block, re.M))
    assert passed and passed <= set(bicep_params(main)), passed - set(bicep_params(main))
    used_outputs = set(re.findall(r"activation\.outputs\.(\w+)", source))
    assert used_outputs <= bicep_outputs(main), used_outputs - bicep_outputs(main)


def test_the_postprovision_hook_exists_and_reads_only_what_azd_gives_it() -> None:
    hook = load_yaml("azure.yaml")["hooks"]["postprovision"]["posix"]
    script = REPO / hook["run"]
    assert script.is_file() and os.access(script, os.X_OK), f"{hook['run']} missing or not executable"
    template, _ = azd_infra()
    outputs = bicep_outputs(template)
    text = script.read_text(encoding="utf-8")
    for variable in set(re.findall(r"\$\{?([A-Z][A-Z0-9_]+)", text)):
        assert variable in outputs | AZD_BUILTINS | AZD_OPTIONAL, f"release.sh reads {variable}, which nothing sets"
    for path in re.findall(r"--(?:file|template-file) (\S+)", text):
        assert (REPO / path).is_file(), path
    # The second pass gives every parameter the first one (main.parameters.json) gives.
    _, parameters = azd_infra()
    for name in json.loads(parameters.read_text(encoding="utf-8"))["parameters"]:
        assert f"{name}=" in text, f"release.sh does not pass {name}"


def test_the_agents_toolkit_project_names_files_and_values_that_exist() -> None:
    project = load_yaml("m365agents.yml")
    env_folder = REPO / project["environmentFolderPath"]
    env_file = env_folder / ".env.dev"
    assert env_file.is_file()
    defined = {line.split("=", 1)[0] for line in env_file.read_text(encoding="utf-8").splitlines()
               if "=" in line and not line.startswith("#")}
    written: set[str] = set()
    manifests: set[Path] = set()
    for stage in ("provision", "publish"):
        for step in project[stage]:
            with_ = step.get("with", {})
            for key in ("manifestPath",):
                if key in with_:
                    manifests.add(REPO / with_[key])
                    assert (REPO / with_[key]).is_file(), with_[key]
            for key in ("appPackagePath", "outputZipPath"):
                if key in with_:
                    assert (REPO / with_[key]).parent.parent.is_dir(), with_[key]
            for value in _PLACEHOLDER.findall(json.dumps(with_)):
                assert value in defined | written, f"{stage}: ${{{{{value}}}}} is not set before {step['uses']}"
            written |= set(step.get("writeToEnvironmentFile", {}).values())
    assert manifests == {REPO / "deploy" / "appPackage" / "manifest.template.json"}
    manifest_path = next(iter(manifests))
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    for name in _PLACEHOLDER.findall(manifest_path.read_text(encoding="utf-8")):
        assert name in defined, f"the manifest's ${{{{{name}}}}} is not in {env_file.relative_to(REPO)}"
    files = [manifest["icons"]["color"], manifest["icons"]["outline"], manifest["localizationInfo"]["defaultLanguageFile"],
             *(entry["file"] for entry in manifest["localizationInfo"]["additionalLanguages"])]
    for name in files:
        assert (manifest_path.parent / name).is_file(), name
    # The values azd provides are outputs of the azd template.
    template, _ = azd_infra()
    assert {"BOT_ID", "BOT_DOMAIN"} <= bicep_outputs(template)


def test_env_template_holds_no_secret() -> None:
    for line in (REPO / "env" / ".env.dev").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.partition("=")
        if any(word in name.upper() for word in ("PASSWORD", "SECRET", "KEY")):
            raise AssertionError(f"env/.env.dev names a secret: {name}")
        assert not value or not re.fullmatch(r"[0-9a-f-]{36}", value), f"{name}: a real id in the template"


def test_every_replica_and_the_job_share_the_send_budget() -> None:
    apps = (INFRA / "modules" / "apps.bicep").read_text(encoding="utf-8")
    block = apps.split("name: 'SEND_SHARES'", 1)[1].split("}", 1)[0]
    assert "value: string(maxReplicas + 1)" in block, "SEND_SHARES must be the most replicas plus the job"
    assert apps.count("env: settings") == 2, "the app and the job read the same settings"
