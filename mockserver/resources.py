"""The one place that knows where the contract and the shipped scenarios live.

In a source checkout they are at the repository root; in an installed wheel they are packed under
`mockserver/_data/` (see `[tool.hatch.build.targets.wheel.force-include]` in pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"conductor-mock cannot find its {name} "
                            f"(looked in {_PACKAGE / '_data'} and {_PACKAGE.parent})")


def openapi_path() -> Path:
    return _find("openapi.yaml")


def scenarios_dir() -> Path:
    return _find("scenarios")


def default_scenario() -> Path:
    return scenarios_dir() / "default.yaml"


def openapi_document() -> dict[str, Any]:
    """The parsed openapi.yaml. Read it once (at start-up) and pass it on; callers must not mutate it."""
    with openapi_path().open(encoding="utf-8") as handle:
        document: dict[str, Any] = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return document
