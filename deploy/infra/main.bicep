// Activation bot: everything it runs on, in one resource group.
//
//   az deployment group create -g <rg> -f deploy/infra/main.bicep -p deploy/infra/main.parameters.json
//
// Two passes (see deploy/README.md):
//   1. containerImage empty: identity, monitoring, Cosmos DB, Key Vault, registry, Container Apps
//      environment and the Azure Bot (its endpoint is already known from the environment's domain).
//   2. after pushing the image: containerImage=<registry>/activation-bot:<tag> adds the Container
//      App and the scheduled job. Later releases repeat pass 2 with a new tag.

targetScope = 'resourceGroup'

@description('Azure region of every regional resource (the bot registration itself is global).')
param location string = resourceGroup().location

@description('Short lower-case prefix of resource names: letters and digits only, starting with a letter.')
@minLength(2)
@maxLength(10)
param namePrefix string = 'actbot'

@description('Environment label in resource names (lower-case letters and digits), e.g. prod or test.')
@minLength(1)
@maxLength(6)
param environmentName string = 'prod'

@description('Image to run, e.g. <registry login server>/activation-bot:1.0.0. Empty on the first pass: the app and the job are then not deployed yet.')
param containerImage string = ''

@description('Bot identity: UserAssignedMSI (the managed identity below, no secret) or SingleTenant (an Entra app registration whose client secret is kept in Key Vault).')
@allowed([
  'UserAssignedMSI'
  'SingleTenant'
])
param botAppType string = 'UserAssignedMSI'

@description('SingleTenant only: application (client) ID of the Entra app registration.')
param botEntraAppId string = ''

@description('SingleTenant only: name of the Key Vault secret holding the app registration\'s client secret.')
param botAppPasswordSecretName string = 'bot-app-password'

@description('Bot display name in Azure.')
param botDisplayName string = 'Activation Bot'

@description('Azure Bot pricing tier (F0 is enough for the Teams channel).')
@allowed([
  'F0'
  'S1'
])
param botSku string = 'F0'

@description('Cosmos DB database name (COSMOS_DATABASE).')
param cosmosDatabaseName string = 'activation'

@description('Object IDs (comma-separated) of project managers (PM_AAD_IDS).')
param pmAadIds string = ''

@description('Tenant ID of the provider\'s own staff (STAFF_TENANT_ID): everyone signed in to that tenant counts as a project manager. Leave empty when the bot is deployed in the customer\'s tenant.')
param staffTenantId string = ''

@description('Customer tenant IDs (comma-separated) the bot answers (ALLOWED_TENANT_IDS). Empty: any tenant where the app is installed.')
param allowedTenantIds string = ''

@description('Microsoft Graph endpoint (GRAPH_ENDPOINT).')
param graphEndpoint string = 'https://graph.microsoft.com'

@description('LOG_LEVEL of the bot and the job.')
@allowed([
  'DEBUG'
  'INFO'
  'WARNING'
  'ERROR'
])
param logLevel string = 'INFO'

@description('When the job runs `python -m bot jobs run-due` (cron, UTC).')
param jobCronExpression string = '*/5 * * * *'

@description('Always-on bot replicas.')
@minValue(0)
@maxValue(10)
param minReplicas int = 1

@description('Most bot replicas under load.')
@minValue(1)
@maxValue(10)
param maxReplicas int = 3

@description('Container registry SKU.')
@allowed([
  'Basic'
  'Standard'
  'Premium'
])
param registrySku string = 'Basic'

@description('Object ID of the operator (or group) allowed to write Key Vault secrets. Empty: assign later by hand.')
param keyVaultSecretsOfficerPrincipalId string = ''

@description('Principal type of keyVaultSecretsOfficerPrincipalId.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param keyVaultSecretsOfficerPrincipalType string = 'User'

@description('Key Vault firewall default. Forced to Allow when botAppType is SingleTenant, because the Container App then reads its secret through a Key Vault reference and Container Apps is not a trusted service.')
@allowed([
  'Allow'
  'Deny'
])
param keyVaultNetworkDefaultAction string = 'Deny'

@description('IPv4 addresses or CIDR ranges let through the Key Vault firewall (e.g. the operator\'s public IP).')
param keyVaultAllowedIpRanges array = []

@description('Object IDs that also get Cosmos DB Built-in Data Contributor (e.g. an operator for support queries).')
param cosmosExtraDataContributorPrincipalIds array = []

@description('Tags put on every resource.')
param tags object = {}

var deployApps = !empty(containerImage)
var suffix = uniqueString(subscription().id, resourceGroup().id, namePrefix, environmentName)
var baseName = toLower('${namePrefix}-${environmentName}')
var identityName = 'id-${baseName}'
var workspaceName = 'log-${baseName}'
var appInsightsName = 'appi-${baseName}'
var keyVaultName = take('kv-${toLower(namePrefix)}-${suffix}', 24)
var cosmosAccountName = 'cosmos-${baseName}-${suffix}'
var storageAccountName = take('st${toLower(namePrefix)}${suffix}', 24)
var registryName = take('acr${toLower(namePrefix)}${suffix}', 50)
var containerEnvName = 'cae-${baseName}'
var appName = take('ca-${baseName}', 32)
var jobName = take('caj-${baseName}-run-due', 32)
var botName = 'bot-${baseName}-${suffix}'
var allTags = union(tags, {
  application: 'activation-bot'
  environment: environmentName
})

// The identity the bot runs as: Teams/Bot Framework (UserAssignedMSI), Cosmos DB, Key Vault, image pulls.
resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: identityName
  location: location
  tags: allTags
}

module monitoring 'modules/monitoring.bicep' = {
  name: '${deployment().name}-monitoring'
  params: {
    location: location
    workspaceName: workspaceName
    appInsightsName: appInsightsName
    tags: allTags
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: '${deployment().name}-cosmos'
  params: {
    location: location
    accountName: cosmosAccountName
    databaseName: cosmosDatabaseName
    dataContributorPrincipalId: identity.properties.principalId
    extraDataContributorPrincipalIds: cosmosExtraDataContributorPrincipalIds
    tags: allTags
  }
}

// Documents customers upload (issue 16): Blob Storage, Entra ID only.
module storage 'modules/storage.bicep' = {
  name: '${deployment().name}-storage'
  params: {
    location: location
    accountName: storageAccountName
    dataContributorPrincipalId: identity.properties.principalId
    tags: allTags
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: '${deployment().name}-keyvault'
  params: {
    location: location
    vaultName: keyVaultName
    secretsReaderPrincipalId: identity.properties.principalId
    secretsOfficerPrincipalId: keyVaultSecretsOfficerPrincipalId
    secretsOfficerPrincipalType: keyVaultSecretsOfficerPrincipalType
    networkDefaultAction: (botAppType == 'SingleTenant') ? 'Allow' : keyVaultNetworkDefaultAction
    allowedIpRanges: keyVaultAllowedIpRanges
    tags: allTags
  }
}

module registry 'modules/registry.bicep' = {
  name: '${deployment().name}-registry'
  params: {
    location: location
    registryName: registryName
    sku: registrySku
    pullPrincipalId: identity.properties.principalId
    tags: allTags
  }
}

module containerEnv 'modules/environment.bicep' = {
  name: '${deployment().name}-environment'
  params: {
    location: location
    environmentName: containerEnvName
    workspaceName: monitoring.outputs.workspaceName
    tags: allTags
  }
}

var botDomain = '${appName}.${containerEnv.outputs.defaultDomain}'
var botAppId = (botAppType == 'UserAssignedMSI') ? identity.properties.clientId : botEntraAppId

module bot 'modules/bot.bicep' = {
  name: '${deployment().name}-bot'
  params: {
    botName: botName
    displayName: botDisplayName
    endpoint: 'https://${botDomain}/api/messages'
    appType: botAppType
    appId: botAppId
    appTenantId: subscription().tenantId
    msiResourceId: identity.id
    sku: botSku
    tags: allTags
  }
}

module apps 'modules/apps.bicep' = if (deployApps) {
  name: '${deployment().name}-apps'
  params: {
    location: location
    appName: appName
    jobName: jobName
    environmentId: containerEnv.outputs.id
    image: containerImage
    registryServer: registry.outputs.loginServer
    identityId: identity.id
    identityClientId: identity.properties.clientId
    botAppType: botAppType
    botAppId: botAppId
    botTenantId: subscription().tenantId
    keyVaultUri: keyVault.outputs.uri
    botAppPasswordSecretName: botAppPasswordSecretName
    cosmosEndpoint: cosmos.outputs.endpoint
    publicUrl: 'https://${botDomain}'
    cosmosDatabase: cosmos.outputs.databaseName
    blobAccountUrl: storage.outputs.blobEndpoint
    blobContainer: storage.outputs.containerName
    appInsightsName: monitoring.outputs.appInsightsName
    pmAadIds: pmAadIds
    staffTenantId: staffTenantId
    allowedTenantIds: allowedTenantIds
    graphEndpoint: graphEndpoint
    logLevel: logLevel
    jobCronExpression: jobCronExpression
    minReplicas: minReplicas
    maxReplicas: maxReplicas
    tags: allTags
  }
}

@description('MicrosoftAppId of the bot: BOT_ID when building the Teams app package.')
output botAppId string = botAppId
@description('Host name of the bot: BOT_DOMAIN when building the Teams app package.')
output botDomain string = botDomain
output botEndpoint string = 'https://${botDomain}/api/messages'
output botResourceName string = bot.outputs.name
output tenantId string = subscription().tenantId
output identityClientId string = identity.properties.clientId
output identityPrincipalId string = identity.properties.principalId
output registryName string = registry.outputs.name
output registryLoginServer string = registry.outputs.loginServer
output keyVaultName string = keyVault.outputs.name
output cosmosAccountName string = cosmos.outputs.accountName
output cosmosEndpoint string = cosmos.outputs.endpoint
output containerAppName string = appName
output jobName string = jobName
output appsDeployed bool = deployApps
