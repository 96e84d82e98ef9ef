// The bot host (Container App, HTTPS only, probes on /healthz) and the scheduled job that
// runs due digests, reminders and the outbox (`python -m bot jobs run-due`) every 5 minutes.
// Both run the same image as the same user-assigned managed identity, with the same settings.

@description('Azure region.')
param location string

@description('Container App name (the host name becomes <name>.<environment default domain>).')
@maxLength(32)
param appName string

@description('Container Apps job name.')
@maxLength(32)
param jobName string

@description('Resource ID of the Container Apps environment.')
param environmentId string

@description('Full image reference, e.g. myregistry.azurecr.io/activation-bot:1.0.0.')
param image string

@description('Login server of the registry holding the image.')
param registryServer string

@description('Resource ID of the user-assigned managed identity.')
param identityId string

@description('Client ID of the user-assigned managed identity (AZURE_CLIENT_ID for Cosmos DB and Key Vault).')
param identityClientId string

@description('MicrosoftAppType the bot runs with.')
@allowed([
  'UserAssignedMSI'
  'SingleTenant'
])
param botAppType string

@description('MicrosoftAppId.')
param botAppId string

@description('MicrosoftAppTenantId.')
param botTenantId string

@description('Key Vault URI (https://<name>.vault.azure.net/); used for the app password when botAppType is SingleTenant.')
param keyVaultUri string

@description('Name of the Key Vault secret holding the app registration\'s client secret (SingleTenant only).')
param botAppPasswordSecretName string = 'bot-app-password'

@description('Cosmos DB account endpoint.')
param cosmosEndpoint string

@description('Cosmos DB database name.')
param cosmosDatabase string

@description('Blob endpoint of the documents storage account (BLOB_ACCOUNT_URL); Entra ID, no key.')
param blobAccountUrl string = ''

@description('Blob container of the documents (BLOB_CONTAINER).')
param blobContainer string = 'documents'

@description('Application Insights component (same resource group) whose connection string the bot gets.')
param appInsightsName string

@description('Comma-separated Entra object IDs of project managers (PM_AAD_IDS).')
param pmAadIds string = ''

@description('Tenant ID of the provider\'s own staff (STAFF_TENANT_ID).')
param staffTenantId string = ''

@description('Comma-separated customer tenant IDs the bot answers (ALLOWED_TENANT_IDS). Empty: any tenant.')
param allowedTenantIds string = ''

@description('Microsoft Graph endpoint (GRAPH_ENDPOINT).')
param graphEndpoint string = 'https://graph.microsoft.com'

@description('LOG_LEVEL.')
@allowed([
  'DEBUG'
  'INFO'
  'WARNING'
  'ERROR'
])
param logLevel string = 'INFO'

@description('Port the bot listens on inside the container.')
param port int = 3978

@description('The bot\'s public https address (download links for exports).')
param publicUrl string

@description('Cron expression (UTC) of the scheduled job.')
param jobCronExpression string = '*/5 * * * *'

@description('Always-on replicas (1 avoids cold starts that Teams would time out on).')
@minValue(0)
@maxValue(10)
param minReplicas int = 1

@description('Most replicas under load.')
@minValue(1)
@maxValue(10)
param maxReplicas int = 3

param tags object = {}

var useAppPassword = botAppType == 'SingleTenant'

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

var insightsSecret = [
  {
    name: 'appinsights-connection-string'
    value: appInsights.properties.ConnectionString
  }
]

// SingleTenant only: the app registration's client secret, read from Key Vault by the identity.
var passwordSecret = useAppPassword ? [
  {
    name: 'microsoft-app-password'
    keyVaultUrl: '${keyVaultUri}secrets/${botAppPasswordSecretName}'
    identity: identityId
  }
] : []

var secrets = concat(insightsSecret, passwordSecret)

var baseSettings = [
  {
    name: 'MicrosoftAppType'
    value: botAppType
  }
  {
    name: 'MicrosoftAppId'
    value: botAppId
  }
  {
    name: 'MicrosoftAppTenantId'
    value: botTenantId
  }
  {
    name: 'AZURE_CLIENT_ID'
    value: identityClientId
  }
  {
    name: 'COSMOS_ENDPOINT'
    value: cosmosEndpoint
  }
  {
    name: 'COSMOS_DATABASE'
    value: cosmosDatabase
  }
  {
    name: 'BLOB_ACCOUNT_URL'
    value: blobAccountUrl
  }
  {
    name: 'BLOB_CONTAINER'
    value: blobContainer
  }
  {
    name: 'GRAPH_ENDPOINT'
    value: graphEndpoint
  }
  {
    name: 'LOG_LEVEL'
    value: logLevel
  }
  {
    name: 'ALLOW_ANONYMOUS'
    value: 'false'
  }
  {
    name: 'PORT'
    value: string(port)
  }
  {
    name: 'PUBLIC_URL'
    value: publicUrl
  }
  {
    // Due work (digests, reminders, outbox) runs in the scheduled job; every replica still
    // delivers right after a change, and leases keep the two from sending anything twice.
    name: 'SCHEDULER'
    value: '0'
  }
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
    secretRef: 'appinsights-connection-string' // checkov:skip=CKV_SECRET_6: the name of a Container App secret (a Key Vault reference), not a secret value
  }
  {
    name: 'LOG_FORMAT'
    value: 'json'
  }
  {
    // One send budget for the deployment: every replica and the job keep 1/SEND_SHARES of
    // Teams' limits, so their sum stays inside them (README "One send budget").
    name: 'SEND_SHARES'
    value: string(maxReplicas + 1)
  }
]

var passwordSettings = useAppPassword ? [
  {
    name: 'MicrosoftAppPassword'
    secretRef: 'microsoft-app-password' // checkov:skip=CKV_SECRET_6: the name of a Container App secret (a Key Vault reference), not a secret value
  }
] : []

// Optional settings are left out rather than set to an empty string.
var pmSettings = empty(pmAadIds) ? [] : [
  {
    name: 'PM_AAD_IDS'
    value: pmAadIds
  }
]

var staffSettings = empty(staffTenantId) ? [] : [
  {
    name: 'STAFF_TENANT_ID'
    value: staffTenantId
  }
]

var tenantSettings = empty(allowedTenantIds) ? [] : [
  {
    name: 'ALLOWED_TENANT_IDS'
    value: allowedTenantIds
  }
]

var settings = concat(baseSettings, passwordSettings, pmSettings, staffSettings, tenantSettings)

var registries = [
  {
    server: registryServer
    identity: identityId
  }
]

resource app 'Microsoft.App/containerApps@2024-03-01' = {
  name: appName
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    environmentId: environmentId
    workloadProfileName: 'Consumption'
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: {
        external: true
        targetPort: port
        transport: 'http'
        allowInsecure: false
        traffic: [
          {
            latestRevision: true
            weight: 100
          }
        ]
      }
      registries: registries
      secrets: secrets
    }
    template: {
      containers: [
        {
          name: 'bot'
          image: image
          env: settings
          resources: {
            cpu: json('0.5')
            memory: '1Gi'
          }
          probes: [
            {
              type: 'Startup'
              httpGet: {
                path: '/healthz'
                port: port
                scheme: 'HTTP'
              }
              initialDelaySeconds: 2
              periodSeconds: 5
              timeoutSeconds: 3
              failureThreshold: 24
            }
            {
              type: 'Liveness'
              httpGet: {
                path: '/healthz'
                port: port
                scheme: 'HTTP'
              }
              periodSeconds: 30
              timeoutSeconds: 5
              failureThreshold: 3
            }
            {
              type: 'Readiness'
              httpGet: {
                path: '/readyz'
                port: port
                scheme: 'HTTP'
              }
              periodSeconds: 10
              timeoutSeconds: 5
              failureThreshold: 3
            }
          ]
        }
      ]
      scale: {
        minReplicas: minReplicas
        maxReplicas: maxReplicas
        rules: [
          {
            name: 'http-concurrency'
            http: {
              metadata: {
                concurrentRequests: '50'
              }
            }
          }
        ]
      }
    }
  }
}

resource job 'Microsoft.App/jobs@2024-03-01' = {
  name: jobName
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    environmentId: environmentId
    workloadProfileName: 'Consumption'
    configuration: {
      triggerType: 'Schedule'
      scheduleTriggerConfig: {
        cronExpression: jobCronExpression
        parallelism: 1
        replicaCompletionCount: 1
      }
      // Finish well inside the 5-minute period so two runs do not overlap.
      replicaTimeout: 240
      replicaRetryLimit: 1
      registries: registries
      secrets: secrets
    }
    template: {
      containers: [
        {
          name: 'run-due'
          image: image
          command: [
            'python'
            '-m'
            'bot'
            'jobs'
            'run-due'
          ]
          env: settings
          resources: {
            cpu: json('0.25')
            memory: '0.5Gi'
          }
        }
      ]
    }
  }
}

output appName string = app.name
output fqdn string = app.properties.configuration.ingress.fqdn
output jobName string = job.name
