"""Deploy entry module: Cloud Functions loads `main.py` and asks it for the function's entry point.

Each deployed function imports only its own module (and so only its own SDKs): the attribute is resolved
lazily from `functions.json`, which the bundler writes next to this file.
"""

from __future__ import annotations

import importlib
import json
from functools import cache
from pathlib import Path
from typing import Any


@cache
def _modules() -> dict[str, str]:
    manifest = json.loads((Path(__file__).parent / "functions.json").read_text())
    return {fn["name"]: fn["module"] for fn in manifest["functions"]}


def __getattr__(name: str) -> Any:
    module = _modules().get(name)
    if module is None:
        raise AttributeError(name)
    importlib.import_module(module)
    from bloom.platform.registry import registered

    # The registered entry, not a module attribute: a declaration may register more than one function
    # (a webhook handed to a subscriber registers its receiver and its worker).
    return registered()[name].entry
