"""Environment variables for one test, read through `get_settings()` (cached per process)."""

from __future__ import annotations

import pytest

from bloom.core.settings import get_settings


class SettingsEnv:
    """Each change clears the settings cache, so the next `get_settings()` reads it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._monkeypatch = monkeypatch

    def set(self, name: str, value: str) -> None:
        self._monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    def unset(self, name: str) -> None:
        self._monkeypatch.delenv(name, raising=False)
        get_settings.cache_clear()
