"""Proactive delivery: the outbox sender, its pacing and retries, and what each item renders to."""
