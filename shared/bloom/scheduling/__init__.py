"""The scheduling area (see docs/scheduling.md)."""
