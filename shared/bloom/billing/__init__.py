"""The billing area (see docs/billing.md)."""
