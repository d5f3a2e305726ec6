"""Bloom's domain library: `core` and `platform` under one package per area (see docs/architecture.md)."""
