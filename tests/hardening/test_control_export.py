"""Exports that load back whole, and a control plane that does not freeze the mock (issue 15, items 5, 6, 9)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockserver import resources
from mockserver.app import build_app
from mockserver.control.export import export_world
from mockserver.control.plane import ControlPlane
from mockserver.domain import SequentialIds
from mockserver.scenarios import ScenarioError, load_scenario
from tests.conftest import Api
from tests.control.support import Unchanged, assert_error, control


@pytest.fixture(scope="module")
def big_export() -> str:
    """The YAML export of the default scenario's world plus 8,000 generated tasks (~11 MB)."""
    app = build_app(resources.default_scenario(), generate_tasks=8000)
    plane: ControlPlane = app.state.control
    text, problems = plane.export("yaml", verify=False)
    assert problems == []
    return text


def test_a_world_of_8000_tasks_exports_to_a_file_that_loads_back(big_export: str) -> None:
    assert big_export.splitlines()[0].endswith("(8011 tasks; it ends with '# end of export').")
    assert big_export.rstrip().endswith("\n# end of export")
    scenario = load_scenario(Path("snapshot.yaml"), ids=SequentialIds(), now_ms=0, text=big_export)
    assert len(scenario.seed.tasks) == 8011


def test_a_truncated_snapshot_is_refused_whole(api: Api) -> None:
    text, _ = control(api).export("yaml")
    cut = "\n".join(text.splitlines()[:350]) + "\n"
    with pytest.raises(ScenarioError) as raised:
        load_scenario(Path("snapshot.yaml"), ids=SequentialIds(), now_ms=0, text=cut)
    assert any("this export is cut short: it does not end with '# end of export' (line 1 announces 10 tasks"
               in str(p) for p in raised.value.problems), raised.value
    with Unchanged(api):
        reply = api.client.put("/_mock/scenario", content=cut.encode(), headers={"Content-Type": "application/yaml"})
    assert_error(reply, 422, "this export is cut short")


def test_a_snapshot_missing_tasks_is_refused(api: Api) -> None:
    text, _ = control(api).export("yaml")
    lines = text.splitlines()
    second = next(i for i, line in enumerate(lines) if line.startswith("- taskId:") and i > 0
                  and any(prev.startswith("- taskId:") for prev in lines[:i]))
    end = next(i for i in range(second + 1, len(lines)) if lines[i].startswith("- taskId:"))
    shorter = "\n".join(lines[:second] + lines[end:]) + "\n"
    with Unchanged(api):
        reply = api.client.put("/_mock/scenario", content=shorter.encode(),
                               headers={"Content-Type": "application/yaml"})
    assert_error(reply, 422, "this export announces 10 tasks but holds 9")


def test_an_export_of_a_deeply_nested_output_is_not_a_500(api: Api) -> None:
    world = api.world
    task = world.tasks.all()[0]
    deep: Any = "bottom"
    for _ in range(5000):
        deep = {"d": deep}
    world.tasks.replace_all([task.__class__(**{**{f: getattr(task, f) for f in task.__dataclass_fields__},
                                               "output": {"deep": deep}}), *world.tasks.all()[1:]])
    with Unchanged(api):
        reply = api.client.get("/_mock/scenario")
    assert_error(reply, 422, "a task's input or output nests too deeply to be written (more than 100 levels)")


@pytest.fixture(scope="module")
def middle_export() -> str:
    """The YAML export of the default scenario's world plus 1,500 generated tasks (~2 MB, seconds to load)."""
    plane: ControlPlane = build_app(resources.default_scenario(), generate_tasks=1500).state.control
    return plane.export("yaml", verify=False)[0]


def test_a_big_load_does_not_freeze_the_mock(api: Api, middle_export: str) -> None:
    """While a 2 MB scenario loads (seconds), a GET on /api is answered: it completes before the load does."""
    big_export = middle_export
    done: list[httpx.Response] = []
    loading = threading.Thread(target=lambda: done.append(api.client.put(
        "/_mock/scenario", content=big_export.encode(), headers={"Content-Type": "application/yaml"})))
    token = api.token("admin")
    loading.start()
    try:
        reply = api.client.get("/api/human/tasks/ext", headers={"X-Authorization": token})
        assert reply.status_code == 200, reply.text
        assert not done, "the GET waited for the load: the load runs on the event loop"
    finally:
        loading.join(timeout=300)
    assert done[0].status_code == 200, done[0].text
    assert done[0].json()["tasks"] == 1511
    assert len(export_world(api.world)["tasks"]) == 1511
