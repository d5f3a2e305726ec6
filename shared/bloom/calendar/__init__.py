"""The calendar area (see docs/calendar.md)."""
