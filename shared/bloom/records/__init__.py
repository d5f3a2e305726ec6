"""The records area (see docs/records.md)."""
