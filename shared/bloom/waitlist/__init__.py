"""The waitlist area (see docs/waitlist.md)."""
