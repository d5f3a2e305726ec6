"""Data shipped with the domain library, as Python modules so the deploy bundle (source files only) carries it."""
