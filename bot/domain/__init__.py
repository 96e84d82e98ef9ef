"""The activation domain: playbooks, projects, task transitions, scheduling.

Nothing here imports botbuilder, aiohttp or azure: a move to another bot SDK or store
leaves this package untouched.
"""
