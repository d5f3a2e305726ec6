"""The search area (see docs/search.md)."""
