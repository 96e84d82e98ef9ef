// Key Vault for the few secrets the bot may need (e.g. the Entra app registration's client
// secret when the bot does not run as a managed identity, or a Graph client secret).
// RBAC authorization only, soft delete + purge protection, firewall closed by default.

@description('Azure region.')
param location string

@description('Key Vault name (3-24 letters, digits and hyphens, globally unique).')
@minLength(3)
@maxLength(24)
param vaultName string

@description('Principal (object) ID of the bot\'s user-assigned managed identity: gets Key Vault Secrets User (read secret values).')
param secretsReaderPrincipalId string

@description('Optional principal (object) ID of the operator or group that writes secrets: gets Key Vault Secrets Officer. Empty: none.')
param secretsOfficerPrincipalId string = ''

@description('Type of secretsOfficerPrincipalId.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param secretsOfficerPrincipalType string = 'User'

@description('Firewall default for requests from outside the allowed IPs. Deny unless a Container App reads a Key Vault reference: Container Apps is not a trusted service and has no fixed egress IP, so those reads need Allow (RBAC still guards every read) or a VNet with a private endpoint.')
@allowed([
  'Allow'
  'Deny'
])
param networkDefaultAction string = 'Deny'

@description('Public IPv4 addresses or CIDR ranges allowed through the firewall (e.g. the operator\'s address while setting secrets).')
param allowedIpRanges array = []

param tags object = {}

// Built-in roles.
var keyVaultSecretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'
var keyVaultSecretsOfficerRoleId = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // checkov:skip=CKV_AZURE_189: the operator sets secrets with az from outside Azure; public access stays on behind the firewall (default Deny, allowed IPs only) and RBAC. Use a private endpoint where the network allows.
  name: vaultName
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: networkDefaultAction
      bypass: 'AzureServices'
      ipRules: [for ipRange in allowedIpRanges: {
        value: ipRange
      }]
      virtualNetworkRules: []
    }
  }
}

resource botSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, secretsReaderPrincipalId, keyVaultSecretsUserRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRoleId)
    principalId: secretsReaderPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource operatorSecretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(secretsOfficerPrincipalId)) {
  name: guid(vault.id, secretsOfficerPrincipalId, keyVaultSecretsOfficerRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficerRoleId)
    principalId: secretsOfficerPrincipalId
    principalType: secretsOfficerPrincipalType
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
