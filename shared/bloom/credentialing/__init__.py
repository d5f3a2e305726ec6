"""Credentialing: payer requirement sources (PDFs ingested into searchable chunks), the requirements a therapist
must meet for a payer in a state, therapist documents and applications (docs/credentialing.md)."""

from __future__ import annotations

from bloom.credentialing.retrieval import requirements_for

__all__ = ["requirements_for"]
