"""Integrations with the frameworks publishers already use (each behind its own extra)."""
