"""Microsoft Graph for the bot: app-only tokens per customer tenant (msal), a small async
client (aiohttp) that installs the app for a user and opens the 1:1 chat, and the licensing
check for Cloud Voice for Teams.

This package's `__init__` imports nothing on purpose: `bot.graph.licensing`,
`bot.graph.settings` and `bot.graph.errors` are SDK-free (cards render a LicensingReport);
only `bot.graph.tokens` (msal) and `bot.graph.client` (aiohttp) pull in libraries.
"""
