"""The small query languages of HumanTaskSearch.

`taskInputQuery` / `taskOutputQuery`: `FIELD = VALUE` or `FIELD IN (V1, V2)`, combined with AND / OR and
parentheses; FIELD may be a dotted path (`customer.name`); VALUE may be quoted and may use `*` as a wildcard.
`fullTextQuery`: words or quoted phrases combined with AND / OR (adjacent words mean AND), each matched,
case-insensitively and with `*` wildcards, against the task's ids, names, input and output.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from mockserver.domain.errors import InvalidRequest

Predicate = Callable[[Mapping[str, Any]], bool]
TextPredicate = Callable[[str], bool]

_TOKEN = re.compile(r"""\s*(?:(?P<str>"[^"]*"|'[^']*')|(?P<op>[()=,])|(?P<word>[^\s()=,"']+))""")


def _tokens(text: str, field: str) -> list[str]:
    out: list[str] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise InvalidRequest(f"{field}: cannot read the query at character {pos + 1}: {text[pos:]!r}")
        out.append(m.group(0).strip())
        pos = m.end()
    return out


def _unquote(token: str) -> str:
    return token[1:-1] if len(token) >= 2 and token[0] == token[-1] and token[0] in "\"'" else token


def glob_matcher(pattern: str) -> Callable[[str], bool]:
    if "*" not in pattern:
        lowered = pattern.lower()
        return lambda value: value.lower() == lowered
    rx = re.compile(fnmatch.translate(pattern.lower()).replace(".*", ".*"), re.DOTALL)
    return lambda value: rx.match(value.lower()) is not None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _lookup(doc: Mapping[str, Any], path: str) -> Any:
    current: Any = doc
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return None
        current = current[part]
    return current


class _Parser:
    def __init__(self, tokens: list[str], field: str) -> None:
        self.tokens, self.pos, self.field = tokens, 0, field

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None:
            wanted = f", expected '{expected}'" if expected else ""
            raise InvalidRequest(f"{self.field}: the query ends too early{wanted}")
        if expected is not None and token.upper() != expected:
            raise InvalidRequest(f"{self.field}: expected '{expected}' but found '{token}'")
        self.pos += 1
        return token

    def done(self) -> None:
        if self.peek() is not None:
            raise InvalidRequest(f"{self.field}: unexpected '{self.peek()}' (combine conditions with AND or OR)")


def parse_field_query(text: str, field: str) -> Predicate:
    """Compile a `taskInputQuery`-style query into a predicate over a mapping."""
    parser = _Parser(_tokens(text, field), field)

    def expr() -> Predicate:
        parts = [term()]
        while (parser.peek() or "").upper() == "OR":
            parser.take()
            parts.append(term())
        return parts[0] if len(parts) == 1 else (lambda doc: any(p(doc) for p in parts))

    def term() -> Predicate:
        parts = [factor()]
        while (parser.peek() or "").upper() == "AND":
            parser.take()
            parts.append(factor())
        return parts[0] if len(parts) == 1 else (lambda doc: all(p(doc) for p in parts))

    def factor() -> Predicate:
        if parser.peek() == "(":
            parser.take()
            inner = expr()
            parser.take(")")
            return inner
        name = _unquote(parser.take())
        op = parser.take()
        if op == "=":
            values = [_unquote(parser.take())]
        elif op.upper() == "IN":
            parser.take("(")
            values = [_unquote(parser.take())]
            while parser.peek() == ",":
                parser.take()
                values.append(_unquote(parser.take()))
            parser.take(")")
        else:
            raise InvalidRequest(f"{field}: expected '=' or 'IN' after '{name}', found '{op}'")
        matchers = [glob_matcher(v) for v in values]
        return lambda doc: (v := _lookup(doc, name)) is not None and any(m(_text(v)) for m in matchers)

    predicate = expr()
    parser.done()
    return predicate


def parse_full_text(text: str) -> TextPredicate:
    """Compile a `fullTextQuery` into a predicate over a task's flattened text."""
    words = [_unquote(t) for t in _tokens(text, "fullTextQuery") if t not in "(),="]
    clauses: list[list[TextPredicate]] = [[]]
    for word in words:
        if word.upper() == "OR":
            clauses.append([])
        elif word.upper() != "AND" and word != "*":
            pattern = word if "*" in word else f"*{word}*"
            clauses[-1].append(glob_matcher(pattern))
    live = [c for c in clauses if c]
    if not live:
        return lambda _text: True
    return lambda haystack: any(all(m(haystack) for m in clause) for clause in live)


def flatten(values: Iterator[Any] | list[Any]) -> str:
    """Every scalar under `values`, joined by newlines: the haystack for full-text search."""
    parts: list[str] = []
    stack = list(values)
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif item is not None:
            parts.append(_text(item))
    return "\n".join(parts)
