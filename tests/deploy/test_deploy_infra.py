"""Bicep infrastructure: structure checks on the parsed templates.

There is no Bicep compiler here, so these tests parse the files with pycep (the parser checkov
uses, installed with it in .venv-checkov) and check what a compile would not catch anyway plus
what it would: module paths and parameters, the bot's identity type, HTTPS-only ingress and
probes, the job's schedule and command, Cosmos DB settings, role assignments and the settings
the containers receive.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "deploy" / "infra"

# Settings the bot reads (see deploy/README.md); containers may get nothing else.
BOT_SETTINGS = {
    "MicrosoftAppId",
    "MicrosoftAppPassword",
    "MicrosoftAppType",
    "MicrosoftAppTenantId",
    "PORT",
    "PUBLIC_URL",
    "SCHEDULER",
    "DATA_DIR",
    "ALLOW_ANONYMOUS",
    "COSMOS_ENDPOINT",
    "COSMOS_KEY",
    "AZURE_CLIENT_ID",
    "COSMOS_DATABASE",
    "PM_AAD_IDS",
    "STAFF_TENANT_ID",
    "ALLOWED_TENANT_IDS",
    "GRAPH_ENDPOINT",
    "LOG_LEVEL",
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "BLOB_ACCOUNT_URL",
    "BLOB_CONTAINER",
    "LOG_FORMAT",
    "SEND_SHARES",
}


# Runs in checkov's Python: prints {relative path: parsed template} for every .bicep file.
PARSE_SCRIPT = """
import json, sys
from pathlib import Path
from pycep import BicepParser

root = Path(sys.argv[1])
parser = BicepParser()
out = {}
for path in sorted(root.rglob("*.bicep")):
    name = path.relative_to(root).as_posix()
    try:
        out[name] = parser.parse(text=path.read_text(encoding="utf-8"))
    except Exception as error:
        out[name] = {"__error__": f"{type(error).__name__}: {error}"}
json.dump(out, sys.stdout, default=str)
"""


def checkov_python() -> list[str]:
    """A Python that has pycep: $CHECKOV_PYTHON, the repo's .venv-checkov, the one behind a `checkov` on PATH, or this one."""
    if os.environ.get("CHECKOV_PYTHON"):
        return shlex.split(os.environ["CHECKOV_PYTHON"])
    venv_python = REPO / ".venv-checkov" / "bin" / "python"
    if venv_python.is_file():
        return [str(venv_python)]
    on_path = shutil.which("checkov")
    if on_path and (Path(on_path).parent / "python").is_file():
        return [str(Path(on_path).parent / "python")]
    if importlib.util.find_spec("pycep") is not None:
        return [sys.executable]
    pytest.fail(
        "pycep (installed with checkov) is not available: run `bash scripts/setup.sh --dev` "
        "(it makes .venv-checkov from requirements-checkov.txt), or set CHECKOV_PYTHON"
    )


@pytest.fixture(scope="module")
def templates() -> dict[str, dict[str, Any]]:
    proc = subprocess.run([*checkov_python(), "-c", PARSE_SCRIPT, str(INFRA)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"parsing the Bicep files failed:\n{proc.stderr[-4000:]}"
    parsed = json.loads(proc.stdout)
    broken = {name: t["__error__"] for name, t in parsed.items() if "__error__" in t}
    assert not broken, f"Bicep files that do not parse: {broken}"
    return parsed


def accessor(expr: Any) -> str:
    """Flatten pycep's property_accessor trees back to 'a.b.c'; plain strings pass through."""
    if isinstance(expr, str):
        return expr
    operator = expr.get("operator", {}) if isinstance(expr, dict) else {}
    if operator.get("type") == "property_accessor":
        operands = operator["operands"]
        return f"{accessor(operands['operand_1'])}.{accessor(operands['operand_2'])}"
    return json.dumps(expr, sort_keys=True)


def resources_of_type(templates, resource_type: str) -> list[tuple[str, str, dict]]:
    found = []
    for file, template in templates.items():
        for name, resource in template.get("resources", {}).items():
            if resource["type"] == resource_type and not resource.get("existing"):
                config = resource["config"]
                if "loop_type" in config or ("condition" in config and "config" in config):
                    config = config["config"]
                found.append((file, name, config))
    return found


def one(templates, resource_type: str) -> tuple[str, dict]:
    found = resources_of_type(templates, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {[(f, n) for f, n, _ in found]}"
    file, _, config = found[0]
    return file, config


def param_default(templates, file: str, value: Any) -> Any:
    """Resolve a bare parameter reference to its default; literals are returned as they are."""
    params = templates[file].get("parameters", {})
    if isinstance(value, str) and value in params:
        return params[value].get("default")
    return value


def test_every_template_parses_and_uses_stable_api_versions(templates):
    assert "main.bicep" in templates
    for file, template in templates.items():
        for name, resource in template.get("resources", {}).items():
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", resource["api_version"]), f"{file}:{name} uses {resource['api_version']}"


def test_modules_exist_and_get_exactly_known_parameters(templates):
    main = templates["main.bicep"]
    assert main["modules"], "main.bicep deploys no modules"
    for symbol, module in main["modules"].items():
        path = module["detail"]["path"]
        assert path in templates, f"module {symbol}: {path} does not exist or does not parse"
        config = module["config"]
        if "condition" in config:
            config = config["config"]
        passed = set(config.get("params", {}))
        declared = templates[path].get("parameters", {})
        assert passed <= set(declared), f"module {symbol} passes undeclared {sorted(passed - set(declared))}"
        required = {name for name, p in declared.items() if "default" not in p}
        assert required <= passed, f"module {symbol} misses required {sorted(required - passed)}"


def test_parameters_file_matches_main(templates):
    declared = templates["main.bicep"]["parameters"]
    parameters = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))["parameters"]
    assert set(parameters) <= set(declared), sorted(set(parameters) - set(declared))
    required = {name for name, p in declared.items() if "default" not in p}
    assert required <= set(parameters)
    for name, entry in parameters.items():
        allowed = [d["argument"] for d in declared[name]["decorators"] if d["type"] == "allowed"]
        if allowed:
            assert entry["value"] in allowed[0], f"{name}={entry['value']!r} not in {allowed[0]}"
    # The first pass deploys no app: the image does not exist yet.
    assert parameters["containerImage"]["value"] == ""


def test_bot_uses_user_assigned_msi_and_the_teams_channel(templates):
    file, bot = one(templates, "Microsoft.BotService/botServices")
    props = bot["properties"]
    assert bot["location"] == "global"
    assert param_default(templates, file, props["msaAppType"]) == "UserAssignedMSI"
    main_params = templates["main.bicep"]["parameters"]
    assert main_params["botAppType"]["default"] == "UserAssignedMSI"
    bot_module = templates["main.bicep"]["modules"]["bot"]["config"]["params"]
    assert accessor(bot_module["msiResourceId"]) == "identity.id"
    assert bot_module["appType"] == "botAppType"
    assert "/api/messages" in bot_module["endpoint"]

    _, channel = one(templates, "Microsoft.BotService/botServices/channels")
    assert channel["name"] == "MsTeamsChannel"
    assert channel["properties"]["channelName"] == "MsTeamsChannel"
    assert channel["properties"]["properties"]["isEnabled"] is True


def test_bot_identity_is_a_user_assigned_managed_identity(templates):
    file, _ = one(templates, "Microsoft.ManagedIdentity/userAssignedIdentities")
    assert file == "main.bicep"
    bot_app_id = templates["main.bicep"]["variables"]["botAppId"]["value"]["operator"]["operands"]
    assert accessor(bot_app_id["true_value"]) == "identity.properties.clientId"


def test_container_app_is_https_only_with_liveness_on_healthz_and_readiness_on_readyz(templates):
    file, app = one(templates, "Microsoft.App/containerApps")
    ingress = app["properties"]["configuration"]["ingress"]
    assert ingress["allowInsecure"] is False
    assert ingress["external"] is True
    assert param_default(templates, file, ingress["targetPort"]) == 3978
    (container,) = app["properties"]["template"]["containers"]
    probes = {probe["type"]: probe for probe in container["probes"]}
    assert {"Liveness", "Readiness"} <= set(probes)
    for kind, probe in probes.items():
        # Readiness follows the store (a replica that cannot reach it gets no traffic); liveness
        # does not (restarting would not bring the store back).
        assert probe["httpGet"]["path"] == ("/readyz" if kind == "Readiness" else "/healthz"), kind
        assert param_default(templates, file, probe["httpGet"]["port"]) == 3978
    assert "command" not in container, "the app runs the image's CMD (python -m bot)"
    assert app["identity"]["type"] == "UserAssigned"


def test_job_runs_due_work_every_five_minutes(templates):
    file, job = one(templates, "Microsoft.App/jobs")
    configuration = job["properties"]["configuration"]
    assert configuration["triggerType"] == "Schedule"
    cron = param_default(templates, file, configuration["scheduleTriggerConfig"]["cronExpression"])
    assert cron == "*/5 * * * *"
    assert templates["main.bicep"]["parameters"]["jobCronExpression"]["default"] == "*/5 * * * *"
    assert configuration["replicaTimeout"] < 300, "a run must end before the next one starts"
    (container,) = job["properties"]["template"]["containers"]
    assert container["command"] == ["python", "-m", "bot", "jobs", "run-due"]
    assert job["identity"]["type"] == "UserAssigned"


def _env_names(templates) -> set[str]:
    variables = templates["modules/apps.bicep"]["variables"]
    names = set()
    for name, variable in variables.items():
        if not name.endswith("Settings"):
            continue
        value = variable["value"]
        if isinstance(value, dict) and "operator" in value:
            operands = value["operator"]["operands"]
            value = operands["true_value"] or operands["false_value"]
        names.update(item["name"] for item in value)
    return names


def test_containers_get_the_bot_settings_and_no_cosmos_key(templates):
    names = _env_names(templates)
    assert names <= BOT_SETTINGS, f"unknown settings {sorted(names - BOT_SETTINGS)}"
    assert {
        "MicrosoftAppId",
        "MicrosoftAppType",
        "MicrosoftAppTenantId",
        "AZURE_CLIENT_ID",
        "COSMOS_ENDPOINT",
        "COSMOS_DATABASE",
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "ALLOW_ANONYMOUS",
    } <= names
    assert "COSMOS_KEY" not in names, "Cosmos DB keys are disabled: the bot must use Entra ID"
    base = {item["name"]: item for item in templates["modules/apps.bicep"]["variables"]["baseSettings"]["value"]}
    assert base["ALLOW_ANONYMOUS"]["value"] == "false"
    assert "secretRef" in base["APPLICATIONINSIGHTS_CONNECTION_STRING"]
    _, app = one(templates, "Microsoft.App/containerApps")
    _, job = one(templates, "Microsoft.App/jobs")
    assert app["properties"]["template"]["containers"][0]["env"] == "settings"
    assert job["properties"]["template"]["containers"][0]["env"] == "settings"


def test_cosmos_is_serverless_entra_only_with_both_containers(templates):
    _, account = one(templates, "Microsoft.DocumentDB/databaseAccounts")
    props = account["properties"]
    assert {"name": "EnableServerless"} in props["capabilities"]
    assert props["disableLocalAuth"] is True
    assert account["kind"] == "GlobalDocumentDB"
    containers = {
        config["name"]: config["properties"]["resource"]["partitionKey"]["paths"]
        for _, _, config in resources_of_type(templates, "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers")
    }
    assert containers == {"projects": ["/projectId"], "directory": ["/pk"]}


def test_identity_gets_cosmos_data_contributor(templates):
    assignments = resources_of_type(templates, "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments")
    bot_assignment = [c for _, name, c in assignments if name == "botDataContributor"]
    assert len(bot_assignment) == 1
    props = bot_assignment[0]["properties"]
    variables = templates["modules/cosmos.bicep"]["variables"]
    assert variables["dataContributorRoleId"]["value"] == "00000000-0000-0000-0000-000000000002"
    assert props["roleDefinitionId"].endswith("/sqlRoleDefinitions/${dataContributorRoleId}")
    assert props["principalId"] == "dataContributorPrincipalId"
    cosmos_params = templates["main.bicep"]["modules"]["cosmos"]["config"]["params"]
    assert accessor(cosmos_params["dataContributorPrincipalId"]) == "identity.properties.principalId"


def test_key_vault_is_rbac_with_purge_protection_and_closed_firewall(templates):
    file, vault = one(templates, "Microsoft.KeyVault/vaults")
    props = vault["properties"]
    assert props["enableRbacAuthorization"] is True
    assert props["enableSoftDelete"] is True
    assert props["enablePurgeProtection"] is True
    assert param_default(templates, file, props["networkAcls"]["defaultAction"]) == "Deny"
    assert props["networkAcls"]["bypass"] == "AzureServices"
    # The bot's identity can read secrets.
    role_ids = templates[file]["variables"]
    assert role_ids["keyVaultSecretsUserRoleId"]["value"] == "4633458b-17de-408a-b874-0445c86b69e6"


def test_registry_pulls_by_identity_only(templates):
    file, registry = one(templates, "Microsoft.ContainerRegistry/registries")
    assert registry["properties"]["adminUserEnabled"] is False
    assert registry["properties"]["anonymousPullEnabled"] is False
    assert templates[file]["variables"]["acrPullRoleId"]["value"] == "7f951dda-4ed3-4680-a7ca-43fe172d538d"
    _, app = one(templates, "Microsoft.App/containerApps")
    assert app["properties"]["configuration"]["registries"] == "registries"
    (registry_entry,) = templates["modules/apps.bicep"]["variables"]["registries"]["value"]
    assert registry_entry["identity"] == "identityId"
    assert "passwordSecretRef" not in registry_entry


def test_monitoring_is_workspace_based(templates):
    _, insights = one(templates, "Microsoft.Insights/components")
    assert accessor(insights["properties"]["WorkspaceResourceId"]) == "workspace.id"
    one(templates, "Microsoft.OperationalInsights/workspaces")
    _, environment = one(templates, "Microsoft.App/managedEnvironments")
    assert environment["properties"]["appLogsConfiguration"]["destination"] == "log-analytics"


def test_staff_tenant_is_not_defaulted(templates):
    # STAFF_TENANT_ID makes everyone in that tenant a project manager: it must be a deliberate choice,
    # never the tenant the bot happens to be deployed in (often the customer's).
    params = templates["main.bicep"]["parameters"]
    assert params["staffTenantId"]["default"] == ""
    assert params["pmAadIds"]["default"] == ""


def test_outputs_feed_the_app_package_build(templates):
    outputs = templates["main.bicep"]["outputs"]
    for name in ("botAppId", "botDomain", "botEndpoint", "registryLoginServer", "containerAppName", "jobName"):
        assert name in outputs, name


def test_documents_storage_is_private_entra_only_with_soft_delete(templates):
    """Blob Storage for uploaded documents (issue 16): no public access, shared keys off, soft delete, and the
    bot's identity on the one container; the container app gets its endpoint and container."""
    _, account = one(templates, "Microsoft.Storage/storageAccounts")
    props = account["properties"]
    assert props["allowBlobPublicAccess"] is False and props["allowSharedKeyAccess"] is False
    assert props["minimumTlsVersion"] == "TLS1_2"
    _, service = one(templates, "Microsoft.Storage/storageAccounts/blobServices")
    assert service["properties"]["deleteRetentionPolicy"]["enabled"] is True and service["properties"]["isVersioningEnabled"] is True
    _, container = one(templates, "Microsoft.Storage/storageAccounts/blobServices/containers")
    assert container["properties"]["publicAccess"] == "None"
    assert {"BLOB_ACCOUNT_URL", "BLOB_CONTAINER"} <= _env_names(templates)
