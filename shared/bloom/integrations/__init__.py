"""Integrations: one module per third party (HTTP via requests, timeouts always set)."""
