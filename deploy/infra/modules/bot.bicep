// Azure Bot registration with the Microsoft Teams channel.

@description('Bot resource name (2-64 characters, globally unique).')
@minLength(2)
@maxLength(64)
param botName string

@description('Name shown in the Azure portal and the Bot Framework.')
param displayName string

@description('Messaging endpoint, https://<host>/api/messages.')
param endpoint string

@description('How the bot authenticates: a user-assigned managed identity (default) or a single-tenant Entra app registration.')
@allowed([
  'UserAssignedMSI'
  'SingleTenant'
])
param appType string = 'UserAssignedMSI'

@description('The bot\'s Microsoft App ID: the managed identity\'s client ID, or the app registration\'s application (client) ID.')
param appId string

@description('Entra tenant of the identity or app registration.')
param appTenantId string

@description('Resource ID of the user-assigned managed identity (UserAssignedMSI only).')
param msiResourceId string = ''

@description('F0 is free and enough for Teams (a standard channel); S1 is for premium channels.')
@allowed([
  'F0'
  'S1'
])
param sku string = 'F0'

param tags object = {}

resource bot 'Microsoft.BotService/botServices@2022-09-15' = {
  name: botName
  location: 'global'
  tags: tags
  kind: 'azurebot'
  sku: {
    name: sku
  }
  properties: {
    displayName: displayName
    endpoint: endpoint
    msaAppType: appType
    msaAppId: appId
    msaAppTenantId: appTenantId
    msaAppMSIResourceId: (appType == 'UserAssignedMSI') ? msiResourceId : null
    // Only Entra ID tokens; no Direct Line or Web Chat secrets are used.
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
    isStreamingSupported: false
  }
}

resource teams 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'MsTeamsChannel'
  location: 'global'
  properties: {
    channelName: 'MsTeamsChannel'
    properties: {
      isEnabled: true
      enableCalling: false
      deploymentEnvironment: 'CommercialDeployment'
      acceptedTerms: true
    }
  }
}

output name string = bot.name
output endpoint string = bot.properties.endpoint
