"""Executable docs: every runnable block of README.md and docs/*.md, in order, against a live mock started the
way the page says (one process, reset to the default scenario when a page begins). One test per block, named
after its page and heading; the convention is in tests/docs/README.md. Skips are marked in the pages, only."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mockserver.contract import control
from mockserver.contract.launcher import MockProcess, running_mock
from tests.docs import runner
from tests.docs.blocks import Block, read

ROOT = runner.ROOT
PAGES = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]
BLOCKS = [block for page in PAGES for block in read(ROOT / page, page)]


@dataclass
class PageWorld:
    mock: MockProcess
    folder: Path


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], PageWorld]]:
    """One live mock on the shipped default scenario (as `make serve`), reset to it when a page begins; one
    scratch folder per page."""
    with running_mock(ROOT / "scenarios" / "default.yaml", cwd=ROOT) as mock:
        started: dict[str, PageWorld] = {}

        def get(page: str) -> PageWorld:
            if page not in started:
                control.reset(mock.root_url)
                started[page] = PageWorld(mock, runner.scratch_folder(tmp_path_factory.mktemp(page.replace("/", "-"))))
            return started[page]

        yield get


@pytest.mark.live
@pytest.mark.parametrize("block", BLOCKS, ids=[block.name for block in BLOCKS])
def test_block(block: Block, worlds: Callable[[str], PageWorld]) -> None:
    if block.skip is not None:
        pytest.skip(f"{block.name}: {block.skip}")
    world = worlds(block.page)
    problem = None
    try:
        runner.run(block, world.folder, world.mock.port)
    except runner.BlockFailed as error:
        problem = f"{block.page}:{block.line} ({block.heading}): {error}"
    if problem is not None:
        pytest.fail(problem, pytrace=False)
