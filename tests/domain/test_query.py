"""The query languages of HumanTaskSearch: taskInputQuery / taskOutputQuery, and fullTextQuery."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.domain.errors import InvalidRequest
from mockserver.domain.query import flatten, glob_matcher, parse_field_query, parse_full_text

DOC: dict[str, Any] = {
    "status": "approved",
    "amount": 5,
    "urgent": True,
    "note": None,
    "region": "EU-West",
    "customer": {"name": "Ann Lee", "tier": "gold", "address": {"city": "Oslo"}},
}


def matches(query: str, doc: dict[str, Any] = DOC) -> bool:
    return parse_field_query(query, "taskInputQuery")(doc)


@pytest.mark.parametrize(("query", "expected"), [
    ("status = approved", True),
    ("status = rejected", False),
    ("status=approved", True),
    ("status = APPROVED", True),  # values match case-insensitively
    ("STATUS = approved", False),  # field names do not
    ('status = "approved"', True),
    ("status = 'approved'", True),
    ('"status" = approved', True),
    ("amount = 5", True),
    ("amount = 50", False),
    ("urgent = true", True),
    ("urgent = false", False),
    ("note = None", False),  # a null field matches nothing
    ("missing = x", False),
])
def test_field_equals_value(query: str, expected: bool) -> None:
    assert matches(query) is expected


@pytest.mark.parametrize(("query", "expected"), [
    ('customer.name = "Ann Lee"', True),
    ("customer.address.city = oslo", True),
    ("customer.address.city = Bergen", False),
    ("customer.nothing.city = Oslo", False),
    ("status.inner = approved", False),  # a path through a scalar leads nowhere
    ("customer = x", False),
])
def test_dotted_paths(query: str, expected: bool) -> None:
    assert matches(query) is expected


@pytest.mark.parametrize(("query", "expected"), [
    ("status IN (approved, rejected)", True),
    ("status in (rejected, approved)", True),
    ("status IN (rejected)", False),
    ("status IN (approved)", True),
    ('customer.tier IN ("silver", "gold")', True),
    ("amount IN (1,2,5)", True),
    ("amount IN (1, 2)", False),
])
def test_in_lists(query: str, expected: bool) -> None:
    assert matches(query) is expected


@pytest.mark.parametrize(("query", "expected"), [
    ("region = EU*", True),
    ("region = eu-*", True),
    ("region = *west", True),
    ("region = *-*", True),
    ("region = US*", False),
    ("region = EU", False),  # no wildcard: the whole value must match
    ("status = *", True),
    ("missing = *", False),  # `*` still needs the field
    ("status IN (rej*, app*)", True),
    ("customer.name = 'ann *'", True),
])
def test_wildcards(query: str, expected: bool) -> None:
    assert matches(query) is expected


@pytest.mark.parametrize(("query", "expected"), [
    ("status = approved AND amount = 5", True),
    ("status = approved AND amount = 6", False),
    ("status = approved and amount = 5", True),
    ("status = rejected OR amount = 5", True),
    ("status = rejected or amount = 6", False),
    # AND binds tighter than OR
    ("status = approved OR amount = 6 AND urgent = false", True),
    ("amount = 6 AND urgent = false OR status = approved", True),
    ("status = rejected OR amount = 5 AND urgent = false", False),
    # parentheses regroup
    ("(status = approved OR amount = 6) AND urgent = false", False),
    ("(status = rejected OR amount = 5) AND urgent = true", True),
    ("((status = approved))", True),
    ("status = approved AND (amount = 6 OR (urgent = true AND region = EU*))", True),
])
def test_and_or_and_parentheses(query: str, expected: bool) -> None:
    assert matches(query) is expected


@pytest.mark.parametrize(("query", "message"), [
    ("status =", "taskInputQuery: the query ends too early"),
    ("status", "taskInputQuery: the query ends too early"),
    ("", "taskInputQuery: the query ends too early"),
    ("(status = approved", "taskInputQuery: the query ends too early, expected ')'"),
    ("status IN (a, b", "taskInputQuery: the query ends too early, expected ')'"),
    ("status IN approved", "taskInputQuery: expected '(' but found 'approved'"),
    ("status IN (a b)", "taskInputQuery: expected ')' but found 'b'"),
    ("status LIKE approved", "taskInputQuery: expected '=' or 'IN' after 'status', found 'LIKE'"),
    ("status = approved amount = 5", "taskInputQuery: unexpected 'amount' (combine conditions with AND or OR)"),
    ("status = approved)", "taskInputQuery: unexpected ')' (combine conditions with AND or OR)"),
    ('status = "approved', "taskInputQuery: cannot read the query at character 9: ' \"approved'"),
    ("status = 'x", "taskInputQuery: cannot read the query at character 9: \" 'x\""),
])
def test_a_query_that_cannot_be_read_says_where(query: str, message: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse_field_query(query, "taskInputQuery")
    assert refused.value.message == message


def test_the_message_names_the_field_the_query_came_in() -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse_field_query("result LIKE ok", "taskOutputQuery")
    assert refused.value.message == "taskOutputQuery: expected '=' or 'IN' after 'result', found 'LIKE'"


def test_trailing_spaces_are_ignored() -> None:
    assert matches("status = approved   ")


# -- glob_matcher ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("pattern", "value", "expected"), [
    ("Oslo", "oslo", True),
    ("Oslo", "Oslo!", False),
    ("os*", "OSLO", True),
    ("*lo", "oslo", True),
    ("*sl*", "oslo", True),
    ("o*o", "oslo", True),
    ("o*o", "osla", False),
    ("a.c", "abc", False),  # regex characters are literal
    ("a.*", "a.b", True),
    ("a.*", "ab", False),
    ("x*", "x\ny", True),  # `*` crosses lines
])
def test_glob_matcher(pattern: str, value: str, expected: bool) -> None:
    assert glob_matcher(pattern)(value) is expected


# -- fullTextQuery -----------------------------------------------------------------------------------------

HAYSTACK = flatten([{"name": "Expense approval", "input": {"amount": 1200, "vendor": "ACME Corp"}}, "task-17"])


@pytest.mark.parametrize(("query", "expected"), [
    ("approval", True),
    ("APPROVAL", True),
    ("appro", True),  # a word matches inside the text
    ("refund", False),
    ("expense acme", True),  # adjacent words: all of them
    ("expense refund", False),
    ("expense AND acme", True),
    ("refund OR acme", True),
    ("refund or invoice", False),
    ('"acme corp"', True),
    ('"corp acme"', False),
    ("1200", True),
    ("task-17", True),
    ("*", True),
    ("", True),
    ("AND", True),
    ("*acme*", True),
    ("acme*", False),  # a word with `*` is a whole pattern over the text
    ("refund OR", False),
])
def test_full_text(query: str, expected: bool) -> None:
    assert parse_full_text(query)(HAYSTACK) is expected


def test_full_text_refuses_an_unreadable_query() -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse_full_text('acme "corp')
    assert refused.value.message == "fullTextQuery: cannot read the query at character 5: ' \"corp'"


def test_flatten_gives_every_scalar_once() -> None:
    text = flatten([{"a": "x", "b": {"c": 2, "d": None}}, [True, False, ("y",)], None, 1.5])
    assert sorted(text.split("\n")) == ["1.5", "2", "false", "true", "x", "y"]


def test_flatten_of_nothing_is_empty() -> None:
    assert flatten([]) == ""
    assert flatten(iter([None, {}])) == ""
