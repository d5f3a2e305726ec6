"""Fixtures of several integration modules (defined in `tests/support/`, offered here to every module)."""

from tests.support.object_stores import backend, moto_endpoint  # noqa: F401 (fixtures: a test takes `backend`)
