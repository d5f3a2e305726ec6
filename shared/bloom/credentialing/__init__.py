"""Credentialing: payer requirement sources (PDFs ingested into searchable chunks), the requirements a therapist
must meet for a payer in a state, therapist documents and applications (docs/credentialing.md)."""
