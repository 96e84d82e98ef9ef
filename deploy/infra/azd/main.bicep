// Azure Developer CLI entry point (azure.yaml): a resource group per azd environment, and
// ../main.bicep in it with the values azd keeps in .azure/<env>/.env (main.parameters.json).
// The outputs are written back to that file, where deploy/azd/release.sh and the Microsoft 365
// Agents Toolkit (m365agents.yml, env/.env.dev) read them.

targetScope = 'subscription'

@description('azd environment name (AZURE_ENV_NAME); shapes the resource group and resource names.')
@minLength(1)
@maxLength(40)
param environmentName string

@description('Region of every regional resource (AZURE_LOCATION).')
param location string

@description('Object ID of the signed-in operator (AZURE_PRINCIPAL_ID): may write Key Vault secrets.')
param principalId string = ''

@description('Image to run (ACTBOT_IMAGE, set by deploy/azd/release.sh). Empty on the first pass.')
param containerImage string = ''

@description('Object IDs (comma-separated) of the provider\'s project managers (PM_AAD_IDS).')
param pmAadIds string = ''

@description('Customer tenant IDs (comma-separated) the bot answers (ALLOWED_TENANT_IDS).')
param allowedTenantIds string = ''

@description('Most bot replicas; the send budget is shared by these and the job (SEND_SHARES).')
@minValue(1)
@maxValue(10)
param maxReplicas int = 3

// Resource names take letters and digits only: "dev-eu" becomes "deveu", cut to six.
var label = take(toLower(replace(replace(environmentName, '-', ''), '_', '')), 6)

resource group 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-actbot-${environmentName}'
  location: location
  tags: {
    'azd-env-name': environmentName
  }
}

module activation '../main.bicep' = {
  name: 'actbot-${label}'
  scope: group
  params: {
    location: location
    environmentName: label
    containerImage: containerImage
    keyVaultSecretsOfficerPrincipalId: principalId
    pmAadIds: pmAadIds
    allowedTenantIds: allowedTenantIds
    maxReplicas: maxReplicas
    tags: {
      'azd-env-name': environmentName
    }
  }
}

output AZURE_RESOURCE_GROUP string = group.name
output AZURE_CONTAINER_REGISTRY_NAME string = activation.outputs.registryName
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = activation.outputs.registryLoginServer
output BOT_ID string = activation.outputs.botAppId
output BOT_DOMAIN string = activation.outputs.botDomain
output BOT_ENDPOINT string = activation.outputs.botEndpoint
output BOT_TENANT_ID string = activation.outputs.tenantId
output CONTAINER_APP_NAME string = activation.outputs.containerAppName
output JOB_NAME string = activation.outputs.jobName
output APPS_DEPLOYED bool = activation.outputs.appsDeployed
