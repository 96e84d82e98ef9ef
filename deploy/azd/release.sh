#!/usr/bin/env sh
# azd postprovision hook (azure.yaml): build the current source into the registry that
# provisioning made, then deploy the wrapper once more with that image, which adds (or
# updates) the Container App and the scheduled job. A provision whose image is already the
# current source's does nothing more. azd passes its environment (.azure/<env>/.env) in.
set -eu
cd "$(dirname "$0")/../.."
: "${AZURE_CONTAINER_REGISTRY_NAME:?provisioning did not output the registry}"
: "${AZURE_CONTAINER_REGISTRY_ENDPOINT:?provisioning did not output the registry}"
tag=$(git rev-parse --short=12 HEAD 2>/dev/null || date -u +%Y%m%d%H%M%S)
if ! git diff --quiet HEAD 2>/dev/null; then
  tag="$tag-dirty-$(date -u +%Y%m%d%H%M%S)"  # uncommitted changes: a fresh tag each time
fi
image="$AZURE_CONTAINER_REGISTRY_ENDPOINT/activation-bot:$tag"
if [ "${ACTBOT_IMAGE:-}" = "$image" ] && [ "${APPS_DEPLOYED:-false}" = "true" ]; then
  echo "activation-bot: $image is deployed"
  exit 0
fi
echo "activation-bot: building $image in $AZURE_CONTAINER_REGISTRY_NAME"
az acr build --registry "$AZURE_CONTAINER_REGISTRY_NAME" --file deploy/Dockerfile --image "activation-bot:$tag" .
azd env set ACTBOT_IMAGE "$image"
echo "activation-bot: deploying the app and the job with $image"
az deployment sub create --name "actbot-${AZURE_ENV_NAME}" --location "$AZURE_LOCATION" \
  --template-file deploy/infra/azd/main.bicep \
  --parameters environmentName="$AZURE_ENV_NAME" location="$AZURE_LOCATION" principalId="${AZURE_PRINCIPAL_ID:-}" \
               containerImage="$image" pmAadIds="${PM_AAD_IDS:-}" allowedTenantIds="${ALLOWED_TENANT_IDS:-}" \
               maxReplicas="${MAX_REPLICAS:-3}" \
  --query properties.outputs.BOT_DOMAIN.value --output tsv
azd env set APPS_DEPLOYED true
echo "activation-bot: https://$BOT_DOMAIN/readyz should answer 200 within a minute"
