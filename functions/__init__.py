"""Entry points: one module per area; each decorated function is one deployed Cloud Function."""
