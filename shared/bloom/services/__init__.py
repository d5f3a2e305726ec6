"""Use cases: one function per action, owning transactions and raising typed domain errors."""
