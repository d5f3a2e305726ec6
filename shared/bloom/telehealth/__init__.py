"""The telehealth area (see docs/telehealth.md)."""
