"""What the scenario tests share: where the files are, the clock start they use, and small loaders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import pytest

from mockserver.domain import (
    Principal,
    PrincipalKind,
    Role,
    SequentialIds,
)
from mockserver.scenarios import (
    SCHEMA_PATH,
    Problem,
    Scenario,
    ScenarioError,
    load_scenario,
)

ROOT: Final = Path(__file__).resolve().parent.parent.parent


SHIPPED: Final = sorted((ROOT / "scenarios").glob("*.yaml"))


BAD_DIR: Final = Path("tests/fixtures/bad_scenarios")  # as given to the loader: the file part of every message


BAD: Final = sorted((ROOT / BAD_DIR).glob("*.yaml"))


EXPECT: Final = "# expect: "


START: Final = 1_767_258_000_000  # 2026-01-01T09:00:00Z


ANONYMOUS: Final = Principal("anonymous", PrincipalKind.USER, frozenset({Role.ADMIN, Role.USER}), name="anonymous")


def load(text: str, *, source: str = "inline.yaml", seed: int = 7, now_ms: int = 5_000) -> Scenario:
    return load_scenario(source, ids=SequentialIds(seed), now_ms=now_ms, text=text)


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(ScenarioError) as caught:
        load(text)
    return caught.value.problems


def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded
