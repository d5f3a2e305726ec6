"""Domain models: pydantic v2, rules that need no I/O."""
