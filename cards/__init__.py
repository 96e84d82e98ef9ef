"""Card builders: pure functions from a view model to Adaptive Card JSON (version 1.5).

No botbuilder here: the Teams edge wraps these dicts in attachments.
"""
