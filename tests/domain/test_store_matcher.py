"""store._matcher: the predicate a search compiles once says, for every task, what its filters spelled out one
by one say (random wide queries over the tasks of `test_index.make_store`), and the indexed search agrees."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import pytest

from mockserver.domain import HumanTask, SearchType, TaskSearch, TaskState, TaskUser, UserType
from mockserver.domain.index import order_key
from mockserver.domain.query import flatten, glob_matcher, parse_field_query, parse_full_text
from mockserver.domain.store import MAX_PAGE_SIZE, _matcher
from tests.domain.test_index import ADMIN, indexed, make_store, random_query, some, user_filter


def naive_match(query: TaskSearch, task: HumanTask) -> bool:
    """Every filter of a search, spelled out one by one (what `store._matcher` compiles)."""
    def users_match(users: tuple[TaskUser, ...], value: TaskUser | None) -> bool:
        return not users or (value is not None and any(
            u.user_type is value.user_type and glob_matcher(u.user)(value.user) for u in users))

    names = ((query.definition_names, task.definition_name), (query.display_names, task.display_name),
             (query.task_ref_names, task.task_ref_name), (query.workflow_ids, task.workflow_id),
             (query.workflow_names, task.workflow_name))
    text = flatten([task.task_id, task.display_name, task.definition_name, task.task_ref_name, task.workflow_id,
                    task.workflow_name, task.input, task.output])
    return ((not query.states or task.state in query.states)
            and users_match(query.assignees, task.assignee) and users_match(query.claimants, task.claimant)
            and all(not wanted or value in wanted for wanted, value in names)
            and (query.update_start_time is None or task.updated_on >= query.update_start_time)
            and (query.update_end_time is None or task.updated_on <= query.update_end_time)
            and (not query.task_input_query.strip()
                 or parse_field_query(query.task_input_query, "taskInputQuery")(task.input))
            and (not query.task_output_query.strip()
                 or parse_field_query(query.task_output_query, "taskOutputQuery")(task.output))
            and (not query.full_text_query.strip() or parse_full_text(query.full_text_query)(text)))


def wide_query(rng: random.Random, tasks: list[HumanTask]) -> TaskSearch:
    """`random_query`, and then any of the filters it seldom or never sets (each alone, or several at once)."""
    task = rng.choice(tasks)
    extra: dict[str, Any] = {
        "states": some(rng, list(TaskState), 3),
        "claimants": user_filter(rng, [t.claimant for t in tasks if t.claimant is not None]),
        "assignees": (rng.choice((TaskUser("user00003@EXAMPLE.com", UserType.EXTERNAL_USER),  # edge_tasks' own
                                  TaskUser("TEAM-0001", UserType.CONDUCTOR_GROUP),
                                  TaskUser("user0000*", UserType.EXTERNAL_USER))),),
        "display_names": (task.display_name, "no such name"),
        "workflow_ids": some(rng, [t.workflow_id for t in tasks]),
        "update_start_time": task.updated_on - rng.choice((0, 1, 10_000)),
        "update_end_time": task.updated_on + rng.choice((0, -1, 10_000)),
        "task_input_query": rng.choice(("customer = acme*", "amount IN (1, 2, 3)", "x = y OR priority = HIGH")),
        "task_output_query": rng.choice(("note = *", "result = nope")),
        "full_text_query": rng.choice(("INV", "loan OR refund", "acme AND nothing-like-this", "*")),
    }
    chosen = {name: extra[name] for name in rng.sample(sorted(extra), rng.choice((1, 1, 1, 2, 2, 4)))}
    return replace(random_query(rng, tasks), **chosen)


@pytest.mark.parametrize("seed", [4, 5])
def test_the_compiled_predicate_equals_every_filter_spelled_out(seed: int) -> None:
    rng = random.Random(seed)
    store = make_store(300, seed)
    tasks = store.all()
    some_but_not_all = 0
    for _ in range(300):
        query = wide_query(rng, tasks)
        matches = _matcher(query)
        hits = [t.task_id for t in tasks if matches(t)]
        assert hits == [t.task_id for t in tasks if naive_match(query, t)], query
        some_but_not_all += 0 < len(hits) < len(tasks)
        assert indexed(store, ADMIN, replace(query, search_type=SearchType.ADMIN, start=0, size=MAX_PAGE_SIZE)) \
            == (len(hits), [t.task_id for t in sorted(store.all(), key=order_key) if t.task_id in set(hits)])
    assert some_but_not_all > 60  # the queries tell tasks apart: a predicate that is wrong shows
