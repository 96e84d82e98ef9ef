// Azure Blob Storage for the documents customers upload (BLOB_ACCOUNT_URL, BLOB_CONTAINER).
// No public blob access, shared keys off (Entra ID only: the bot's managed identity gets
// Storage Blob Data Contributor on the one container), TLS 1.2, soft delete and versioning.

@description('Azure region.')
param location string

@description('Storage account name (3-24 lower-case letters and digits, globally unique).')
@minLength(3)
@maxLength(24)
param accountName string

@description('Blob container holding the documents.')
param containerName string = 'documents'

@description('Principal (object) ID of the user-assigned managed identity the bot runs as.')
param dataContributorPrincipalId string

@description('Days a deleted or overwritten document can still be restored.')
@minValue(7)
@maxValue(365)
param softDeleteDays int = 30

param tags object = {}

// Storage Blob Data Contributor.
var blobDataContributorRoleId = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_43: the name is built in main.bicep (take('st' + prefix + uniqueString(...), 24)): lower-case letters and digits, 3-24 long; checkov cannot evaluate the expression.
  // checkov:skip=CKV_AZURE_35: Container Apps on the consumption plan have no fixed egress IP to allow-list; access is Entra ID RBAC only (shared keys off). Use a VNet environment + private endpoint to close the public endpoint.
  // checkov:skip=CKV_AZURE_59: same reason as CKV_AZURE_35.
  // checkov:skip=CKV_AZURE_206: locally redundant is enough for documents the customer also keeps; choose ZRS/GRS where required.
  name: accountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    isVersioningEnabled: true
    deleteRetentionPolicy: {
      enabled: true
      days: softDeleteDays
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: softDeleteDays
    }
  }
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: containerName
  properties: {
    publicAccess: 'None'
  }
}

resource dataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: container
  name: guid(container.id, dataContributorPrincipalId, blobDataContributorRoleId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataContributorRoleId)
    principalId: dataContributorPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output accountName string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output containerName string = container.name
