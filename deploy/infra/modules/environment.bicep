// Container Apps environment (consumption), logging to Log Analytics.
// Deployed on the first pass too, so the bot's host name is known before the image exists.

@description('Azure region.')
param location string

@description('Container Apps environment name.')
param environmentName string

@description('Name of the Log Analytics workspace (same resource group) that receives the logs.')
param workspaceName string

param tags object = {}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

resource managedEnv 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: environmentName
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: workspace.properties.customerId
        sharedKey: workspace.listKeys().primarySharedKey
      }
    }
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
    ]
    zoneRedundant: false
  }
}

output id string = managedEnv.id
output name string = managedEnv.name
// Apps with external ingress get https://<app name>.<defaultDomain>.
output defaultDomain string = managedEnv.properties.defaultDomain
