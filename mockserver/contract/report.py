"""What a run found, in one shape for all three parts: progress lines while it runs, a summary a person
can act on (rule, request, expected, got), and JUnit XML."""

from __future__ import annotations

import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from mockserver.files import write_atomic


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Finding:
    """One broken rule, seen on one request."""

    rule: str
    request: str
    expected: str
    got: str
    detail: str = ""
    occurrences: int = 1

    def lines(self) -> list[str]:
        out = [f"  rule:     {self.rule}", f"  request:  {self.request or '-'}",
               f"  expected: {self.expected}", f"  got:      {self.got}"]
        if self.occurrences > 1:
            out.append(f"  (seen {self.occurrences} times; first shown)")
        out.extend(f"  {line}" for line in self.detail.splitlines() if line.strip())
        return out


@dataclass
class Result:
    """One test: a schemathesis operation, a conformance scenario, or the race."""

    part: str
    name: str
    outcome: Outcome = Outcome.PASSED
    findings: list[Finding] = field(default_factory=list)
    reason: str = ""
    duration: float = 0.0
    checks: int = 0

    @property
    def title(self) -> str:
        return f"{self.part}/{self.name}"

    def fail(self, finding: Finding) -> None:
        for index, known in enumerate(self.findings):
            if (known.rule, _operation(known.request)) == (finding.rule, _operation(finding.request)) \
                    and known.got == finding.got:
                self.findings[index] = Finding(known.rule, known.request, known.expected, known.got, known.detail,
                                               known.occurrences + finding.occurrences)
                break
        else:
            self.findings.append(finding)
        if self.outcome is not Outcome.ERROR:
            self.outcome = Outcome.FAILED

    def error(self, reason: str) -> None:
        self.outcome = Outcome.ERROR
        self.reason = reason

    def skip(self, reason: str) -> None:
        self.outcome = Outcome.SKIPPED
        self.reason = reason


def _operation(request: str) -> str:
    return request.split("?", 1)[0]


Emit = Callable[[str], None]


def printer(stream: TextIO | None = None) -> Emit:
    """An `Emit` that writes one line and flushes (progress must show up in CI logs as it happens)."""

    def emit(line: str) -> None:
        out = stream or sys.stdout
        out.write(line + "\n")
        out.flush()

    return emit


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    header: list[str] = field(default_factory=list)

    def add(self, result: Result) -> Result:
        self.results.append(result)
        return result

    def extend(self, results: Iterable[Result]) -> None:
        self.results.extend(results)

    @property
    def ok(self) -> bool:
        return all(r.outcome in (Outcome.PASSED, Outcome.SKIPPED) for r in self.results)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)

    def failed_rules(self) -> list[str]:
        return sorted({f.rule for r in self.results for f in r.findings})

    def summary(self) -> list[str]:
        elapsed = time.monotonic() - self.started
        lines = ["", "=" * 100]
        problems = [r for r in self.results if r.outcome in (Outcome.FAILED, Outcome.ERROR)]
        for result in problems:
            lines.append(f"{result.outcome.value.upper()} {result.title}")
            if result.reason:
                lines.extend(f"  {line}" for line in result.reason.splitlines())
            for finding in result.findings:
                lines.extend(finding.lines())
            lines.append("")
        skipped = [r for r in self.results if r.outcome is Outcome.SKIPPED]
        for result in skipped:
            lines.append(f"SKIPPED {result.title}: {result.reason}")
        if skipped:
            lines.append("")
        counts = ", ".join(f"{self.count(o)} {o.value}" for o in Outcome if self.count(o))
        verdict = "PASS" if self.ok else "FAIL"
        lines.append(f"{verdict}: {counts or 'nothing ran'} in {elapsed:.1f}s")
        if not self.ok:
            lines.append(f"broken rules: {', '.join(self.failed_rules()) or '-'}")
        return lines

    def write_junit(self, path: Path) -> None:
        suites = ET.Element("testsuites", name="conductor-mock verify")
        parts: dict[str, list[Result]] = {}
        for result in self.results:
            parts.setdefault(result.part, []).append(result)
        for part, results in parts.items():
            suite = ET.SubElement(suites, "testsuite", name=part, tests=str(len(results)),
                                  failures=str(sum(r.outcome is Outcome.FAILED for r in results)),
                                  errors=str(sum(r.outcome is Outcome.ERROR for r in results)),
                                  skipped=str(sum(r.outcome is Outcome.SKIPPED for r in results)),
                                  time=f"{sum(r.duration for r in results):.3f}")
            for result in results:
                case = ET.SubElement(suite, "testcase", classname=f"conductor.{part}", name=result.name,
                                     time=f"{result.duration:.3f}")
                text = "\n".join(line for finding in result.findings for line in finding.lines())
                if result.outcome is Outcome.FAILED:
                    rules = ", ".join(dict.fromkeys(f.rule for f in result.findings))
                    ET.SubElement(case, "failure", message=f"broken rules: {rules}").text = text
                elif result.outcome is Outcome.ERROR:
                    ET.SubElement(case, "error", message=result.reason.splitlines()[0] if result.reason else "error")\
                        .text = "\n".join(filter(None, [result.reason, text]))
                elif result.outcome is Outcome.SKIPPED:
                    ET.SubElement(case, "skipped", message=result.reason)
        tree = ET.ElementTree(suites)
        ET.indent(tree)
        write_atomic(path, ET.tostring(suites, encoding="utf-8", xml_declaration=True))
