"""Bad scenario text is a problem, never a crash: in `check`, in `serve`, and through the control API; exports of
any world load back whole (issue 15, items 6 and 9)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver import cli
from mockserver.domain import SequentialIds
from mockserver.scenarios import MAX_SCENARIO_BYTES, ScenarioError, load_scenario
from tests.conftest import Api
from tests.control.support import Unchanged, assert_error

HEAD = "name: bad\ntasks:\n  - taskId: t\n    input: "
BAD_TEXTS = {
    "a 5000-digit integer": (HEAD + "{n: " + "9" * 5000 + "}\n", 4, "tasks[0].input.n: the number has 5000 digits"),
    "nesting of 1,000 lists": (HEAD + "[" * 1000 + "]" * 1000 + "\n", None, "nests too deeply"),
    "nesting of 1,000 mappings": (HEAD + "{a: " * 1000 + "1" + "}" * 1000 + "\n", None, "nests too deeply"),
    "nesting of 150 lists": (HEAD + "[" * 150 + "]" * 150 + "\n", 4, "nested too deeply (at most 100 levels"),
    "a NUL byte": ("name: a\x00b\n", 1, "invalid YAML: character U+0000 is not allowed"),
}


def _problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as raised:
        load_scenario(Path("bad.yaml"), ids=SequentialIds(), now_ms=0, text=text)
    return [str(p) for p in raised.value.problems]


@pytest.mark.parametrize("name", list(BAD_TEXTS))
def test_bad_text_is_a_problem_with_its_line(name: str) -> None:
    text, line, fragment = BAD_TEXTS[name]
    problems = _problems(text)
    where = "bad.yaml" if line is None else f"bad.yaml:{line}"
    assert any(p.startswith(f"{where}: ") and fragment in p for p in problems), problems


@pytest.mark.parametrize("name", list(BAD_TEXTS))
def test_check_and_serve_refuse_it_cleanly(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_TEXTS[name][0], encoding="utf-8")
    assert cli.main(["check", str(path)]) == 1
    assert BAD_TEXTS[name][2] in capsys.readouterr().err
    assert cli.main(["serve", "--scenario", str(path), "--port", "1"]) == 2
    out, err = capsys.readouterr()
    assert "refusing to start" in err and BAD_TEXTS[name][2] in err and "Traceback" not in err
    assert "listening" not in out


@pytest.mark.parametrize("name", list(BAD_TEXTS))
def test_the_control_api_answers_422(api: Api, name: str) -> None:
    text, _, fragment = BAD_TEXTS[name]
    with Unchanged(api):
        reply = api.client.put("/_mock/scenario", content=text.encode(), headers={"Content-Type": "application/yaml"})
    body = assert_error(reply, 422, "The scenario has")
    assert fragment in reply.text, body


def test_a_scenario_over_the_byte_cap_is_refused(api: Api, tmp_path: Path) -> None:
    text = "name: big\ndescription: " + "x" * MAX_SCENARIO_BYTES + "\n"
    assert any("more than the 16 MiB a scenario may have" in p for p in _problems(text))
    with Unchanged(api):
        reply = api.client.post("/_mock/scenario", content=text.encode(), headers={"Content-Type": "application/yaml"})
    assert_error(reply, 413, "The scenario is larger than 16 MiB")


def test_aliases_that_expand_too_far_are_refused() -> None:
    laughs = "name: lol\na: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for level in "bcdefg":
        previous = chr(ord(level) - 1)
        laughs += f"{level}: &{level} [" + ", ".join([f"*{previous}"] * 10) + "]\n"
    assert any("aliases expand too far" in p for p in _problems(laughs))


def test_many_values_without_aliases_are_not_an_alias_bomb() -> None:
    """The alias guard counts what aliases repeat, not every value: 210,000 plain values (more than it allows
    aliases to repeat) are fine."""
    items = "".join(f"      - {i}\n" for i in range(210_000))
    text = "name: big\ntasks:\n  - taskId: t\n    input:\n      n:\n" + items
    scenario = load_scenario(Path("big.yaml"), ids=SequentialIds(), now_ms=0, text=text)
    assert len(scenario.seed.tasks[0].input["n"]) == 210_000
