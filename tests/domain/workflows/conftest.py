"""The `world` fixture of the workflow tests."""

from __future__ import annotations

import pytest

from mockserver.domain import World
from tests.domain.workflows.flows import make_world


@pytest.fixture
def world() -> World:
    return make_world()
