// Azure Container Registry for the bot image; pulls by the bot's managed identity (AcrPull),
// no admin user, no anonymous pull.

@description('Azure region.')
param location string

@description('Registry name (5-50 letters and digits, globally unique).')
@minLength(5)
@maxLength(50)
param registryName string

@description('Registry SKU. Basic is enough for one image; Premium adds private endpoints, zone redundancy and quarantine.')
@allowed([
  'Basic'
  'Standard'
  'Premium'
])
param sku string = 'Basic'

@description('Principal (object) ID of the identity that pulls the image (the bot\'s user-assigned managed identity).')
param pullPrincipalId string

param tags object = {}

// AcrPull built-in role.
var acrPullRoleId = '7f951dda-4ed3-4680-a7ca-43fe172d538d'

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  // checkov:skip=CKV_AZURE_139: the image is pushed from a workstation or CI runner outside Azure and pulled by Container Apps without a VNet; private endpoints need Premium and a VNet environment. Pulls require Entra ID (admin user and anonymous pull are off).
  // checkov:skip=CKV_AZURE_163: image vulnerability scanning is Microsoft Defender for Containers, enabled per subscription rather than on the registry resource.
  // checkov:skip=CKV_AZURE_166: quarantine needs Premium and a scanner that releases images; one image built by our own pipeline does not justify it.
  // checkov:skip=CKV_AZURE_233: zone redundancy needs Premium; the image can be rebuilt from source, so losing the registry loses nothing.
  name: registryName
  location: location
  tags: tags
  sku: {
    name: sku
  }
  properties: {
    adminUserEnabled: false
    anonymousPullEnabled: false
    publicNetworkAccess: 'Enabled'
    dataEndpointEnabled: false
    zoneRedundancy: 'Disabled'
  }
}

resource acrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, pullPrincipalId, acrPullRoleId)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPullRoleId)
    principalId: pullPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output name string = registry.name
output loginServer string = registry.properties.loginServer
