"""The claims area (see docs/claims.md)."""
