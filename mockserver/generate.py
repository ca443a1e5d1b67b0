"""Many realistic human tasks, built straight into domain objects (YAML is far too slow at 1M tasks).

    conductor-mock serve --generate-tasks 100000

adds 100,000 tasks to the scenario's own. The same `count`, `now_ms` and `seed` always give the same tasks.

The mix, chosen to look like a busy Orkes cluster and to keep each person's inbox the same size however many
tasks there are (so the number of people grows with the number of tasks):

* twelve definitions (invoices, loans, expenses, contracts, ...), each with its own workflow name, form, display
  name and input;
* assignees: ~55% an external user, ~15% a Conductor user, ~12% a Conductor group, ~12% an external group,
  ~6% open to anyone; about one user per 100 tasks and one group per 1,000 (at least a handful of each);
  a quarter of the user-assigned tasks escalate to a group after an SLA (due 1 to 7 days after `now_ms`);
* states: ~35% ASSIGNED, ~3% PENDING, ~15% IN_PROGRESS, ~40% COMPLETED, ~4% TIMED_OUT, ~3% DELETED; a claimed
  task has the claimant and the action log a real server would show;
* created over the 90 days before `now_ms`; a claimed or finished task updated up to three days later (but not
  after `now_ms`).

Memory: everything that can be shared is. Each distinct (definition, assignee chain) has one `HumanTaskDef`,
each user one `TaskUser`, each name one string; a task owns only its ids, its input and its log.
"""

from __future__ import annotations

import gc
import random
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from typing import Any

from mockserver.domain.lifecycle import OPEN_STATES
from mockserver.domain.model import (
    ActionLog,
    Assignment,
    CompletionStrategy,
    FormRef,
    HumanTask,
    HumanTaskDef,
    LogAction,
    TaskState,
    TaskUser,
    UserType,
    positional_builder,
)

DAY_MS = 86_400_000
TASKS_PER_USER = 100
TASKS_PER_GROUP = 1000
OWNER_APP = "owner-app"

# Version-4-shaped UUIDs in their own namespaces (variant nibbles 9, a, b), so they never collide with the
# ids of `SequentialIds` (variant 8) that the scenario and the running mock make.
_TASK_ID = "00000000-0000-4000-9000-%012x"  # `%` formats faster than str.format, which a million tasks notice
_WORKFLOW_ID = "00000000-0000-4000-a000-%012x"
_LOG_ID = "00000000-0000-4000-b000-%012x"

Random = Callable[[], float]  # `random.Random().random`: a float in [0, 1)
InputFactory = Callable[[Random, int], dict[str, Any]]

_VENDORS = ("Acme Supplies Ltd", "Globex Corporation", "Initech", "Umbrella Office Supplies", "Soylent Corp",
            "Hooli", "Stark Industries", "Wayne Enterprises", "Tyrell Corporation", "Cyberdyne Systems")
_CURRENCIES = ("EUR", "USD", "GBP", "CHF")
_REASONS = ("duplicate charge", "item not received", "wrong amount", "fraud suspected", "cancelled order")


def _pick(r: Random, items: tuple[str, ...]) -> str:
    return items[int(r() * len(items))]


def _invoice(r: Random, n: int) -> dict[str, Any]:
    return {"invoiceId": f"INV-{n}", "vendor": _pick(r, _VENDORS), "amount": int(r() * 5_000_000) / 100 + 10,
            "currency": _pick(r, _CURRENCIES)}


def _loan(r: Random, n: int) -> dict[str, Any]:
    return {"applicationId": f"LA-{n}", "amount": (1 + int(r() * 500)) * 1000, "termMonths": 12 * (1 + int(r() * 5)),
            "creditScore": 480 + int(r() * 370)}


def _expense(r: Random, n: int) -> dict[str, Any]:
    return {"reportId": f"EXP-{n}", "total": int(r() * 300_000) / 100 + 5, "currency": _pick(r, _CURRENCIES)}


def _contract(r: Random, n: int) -> dict[str, Any]:
    return {"contractId": f"C-{n}", "supplier": _pick(r, _VENDORS), "value": (1 + int(r() * 1000)) * 1000}


def _dispute(r: Random, n: int) -> dict[str, Any]:
    return {"disputeId": f"D-{n}", "amount": int(r() * 100_000) / 100 + 1, "reason": _pick(r, _REASONS)}


def _order(r: Random, n: int) -> dict[str, Any]:
    return {"orderId": f"O-{n}", "amount": int(r() * 100_000) / 100 + 1, "currency": _pick(r, _CURRENCIES)}


@dataclass(frozen=True, slots=True)
class _Kind:
    definition_name: str
    task_ref_name: str
    workflow_name: str
    title: str
    form: FormRef | None
    completion: CompletionStrategy
    make_input: InputFactory


_APPROVE = FormRef("approve_form", 1)
_KINDS: tuple[_Kind, ...] = (
    _Kind("invoice_approval", "approve_invoice", "invoice_processing", "Approve invoice", _APPROVE,
          CompletionStrategy.LEAVE_OPEN, _invoice),
    _Kind("loan_review", "review_loan", "loan_origination", "Review loan application", _APPROVE,
          CompletionStrategy.LEAVE_OPEN, _loan),
    _Kind("expense_approval", "approve_expense", "expense_reimbursement", "Approve expense report",
          FormRef("approve_form"), CompletionStrategy.LEAVE_OPEN, _expense),
    _Kind("contract_signoff", "signoff_contract", "supplier_onboarding", "Sign off supplier contract", None,
          CompletionStrategy.TERMINATE, _contract),
    _Kind("dispute_triage", "triage_dispute", "payment_disputes", "Triage payment dispute", None,
          CompletionStrategy.LEAVE_OPEN, _dispute),
    _Kind("refund_approval", "approve_refund", "refunds", "Approve refund", _APPROVE,
          CompletionStrategy.LEAVE_OPEN, _order),
    _Kind("kyc_review", "review_kyc", "customer_onboarding", "Review KYC documents", None,
          CompletionStrategy.LEAVE_OPEN, _loan),
    _Kind("vendor_onboarding", "approve_vendor", "supplier_onboarding", "Approve new vendor", None,
          CompletionStrategy.LEAVE_OPEN, _contract),
    _Kind("purchase_order_approval", "approve_po", "procurement", "Approve purchase order", _APPROVE,
          CompletionStrategy.LEAVE_OPEN, _order),
    _Kind("chargeback_review", "review_chargeback", "payment_disputes", "Review chargeback", None,
          CompletionStrategy.TERMINATE, _dispute),
    _Kind("budget_signoff", "signoff_budget", "budgeting", "Sign off budget line", _APPROVE,
          CompletionStrategy.LEAVE_OPEN, _expense),
    _Kind("credit_limit_review", "review_credit_limit", "credit_management", "Review credit limit", None,
          CompletionStrategy.LEAVE_OPEN, _loan),
)

# (state, cumulative probability): the state mix of a busy cluster.
_STATES: tuple[tuple[TaskState, float], ...] = (
    (TaskState.ASSIGNED, 0.35), (TaskState.PENDING, 0.38), (TaskState.IN_PROGRESS, 0.53),
    (TaskState.COMPLETED, 0.93), (TaskState.TIMED_OUT, 0.97), (TaskState.DELETED, 1.0),
)
_CLAIMED = frozenset({TaskState.IN_PROGRESS, TaskState.COMPLETED})
_WAITING = OPEN_STATES
_USERS = frozenset({UserType.EXTERNAL_USER, UserType.CONDUCTOR_USER})
_OUTPUTS = ({"approved": True, "comment": "looks fine"}, {"approved": False, "comment": "missing documents"})


class _People:
    """The users and groups tasks go to, one shared `TaskUser` each, and how each takes part (`_Person`)."""

    def __init__(self, count: int) -> None:
        users = max(8, count // TASKS_PER_USER)
        groups = max(4, count // TASKS_PER_GROUP)
        self.external_users = [TaskUser(f"user{k:05d}@example.com", UserType.EXTERNAL_USER) for k in range(users)]
        self.conductor_users = [TaskUser(f"member{k:05d}@example.com", UserType.CONDUCTOR_USER)
                                for k in range(max(4, users // 4))]
        self.conductor_groups = [TaskUser(f"team-{k:04d}", UserType.CONDUCTOR_GROUP) for k in range(groups)]
        self.external_groups = [TaskUser(f"partner-{k:04d}", UserType.EXTERNAL_GROUP) for k in range(groups)]
        # (cumulative probability, the people of that kind): ~55% external users, ~15% Conductor users, ...
        self.kinds = ((0.55, [self._person(u) for u in self.external_users]),
                      (0.70, [self._person(u) for u in self.conductor_users]),
                      (0.82, [self._person(u) for u in self.conductor_groups]),
                      (0.94, [self._person(u) for u in self.external_groups]))
        self.nobody = _Person(None, None, self.external_users, [None] * len(_KINDS))  # an open task

    def _person(self, user: TaskUser) -> _Person:
        """Who a task of `user` escalates to (users only), and who may claim it (None: the assignee itself)."""
        escalation = (self.external_groups if user.user_type is UserType.EXTERNAL_USER
                      else self.conductor_groups if user.user_type is UserType.CONDUCTOR_USER else None)
        claimants = (self.external_users if user.user_type is UserType.EXTERNAL_GROUP
                     else self.conductor_users if user.user_type is UserType.CONDUCTOR_GROUP else None)
        return _Person(user, escalation, claimants, [None] * len(_KINDS))

    def assignee(self, r: Random) -> _Person:
        roll = r()
        for threshold, pool in self.kinds:
            if roll < threshold:
                return pool[int(r() * len(pool))]
        return self.nobody


@dataclass(frozen=True, slots=True)
class _Person:
    """An assignee as the generator sees it. `definitions`: its HumanTaskDef per kind, when it does not escalate."""

    user: TaskUser | None
    escalation: list[TaskUser] | None  # the groups a task of this user escalates to; None: it never does
    claimants: list[TaskUser] | None  # who claims a task of this group (or an open one); None: the assignee
    definitions: list[HumanTaskDef | None]


_RAW_LOGS = HumanTask.__dict__["action_logs"]  # the slot itself: a generated task keeps its first log's serial there
_ID_PREFIX = len(_TASK_ID) - len("%012x")


class _Generated(HumanTask):
    """A generated task, stored compactly: its `workflow_id` and `action_logs` are made when read, from its id,
    its people and its times (and the serial of its first log, kept in the `action_logs` slot), instead of held:
    a third less memory an idle task. Equal to (and hashed as) the HumanTask with the same fields; a change to
    it (`dataclasses.replace`) makes a plain HumanTask."""

    __slots__ = ()

    def __new__(cls, *args: Any, **kwargs: Any) -> HumanTask:  # type: ignore[misc]  # a plain task, on purpose
        return HumanTask(*args, **kwargs)

    @property
    def workflow_id(self) -> str:
        return _WORKFLOW_ID % int(self.task_id[_ID_PREFIX:], 16)

    @property
    def action_logs(self) -> tuple[ActionLog, ...]:
        serial: int = _RAW_LOGS.__get__(self, HumanTask)
        assignee, claimant = self.assignee, self.claimant
        first = _log_of(_LOG_ID % serial, TaskState.ASSIGNED, self.created_on,
                        LogAction.ASSIGNMENT if assignee is not None else LogAction.ASSIGNMENTS_COMPLETED,
                        "system", assignee, None)
        if claimant is None:
            return (first,)
        return (first, _log_of(_LOG_ID % (serial + 1), TaskState.IN_PROGRESS, self.updated_on, LogAction.CLAIM,
                               str(claimant), assignee, claimant))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HumanTask):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in _FIELDS)

    __hash__ = HumanTask.__hash__

    def __repr__(self) -> str:
        return f"HumanTask({', '.join(f'{name}={getattr(self, name)!r}' for name in _FIELDS)})"


_FIELDS = tuple(f.name for f in fields(HumanTask))
_log_of = positional_builder(ActionLog)
_task_of = positional_builder(HumanTask, _Generated)


def iter_tasks(count: int, *, now_ms: int, seed: int = 0, owner_app: str = OWNER_APP) -> Iterator[HumanTask]:
    """`count` tasks, created in the 90 days before `now_ms`. Deterministic in (count, now_ms, seed)."""
    r = random.Random(seed).random
    people = _People(count)
    escalating: dict[tuple[int, int, int, int], HumanTaskDef] = {}
    thresholds = [p for _, p in _STATES]
    states = [(s, s in _WAITING, s in _CLAIMED, s is TaskState.COMPLETED) for s, _ in _STATES]
    created_span, updated_span = 90 * DAY_MS, 3 * DAY_MS
    no_output: dict[str, Any] = {}  # shared: nothing changes a task's dicts in place (a change makes new ones)
    outputs = tuple(dict(o) for o in _OUTPUTS)
    log_serial = 0
    for n in range(count):
        kind_no = int(r() * len(_KINDS))
        kind = _KINDS[kind_no]
        person = people.assignee(r)
        assignee, groups = person.user, person.escalation
        escalate = groups[int(r() * len(groups))] if groups is not None and r() < 0.25 else None
        created = now_ms - int(r() * created_span)
        if escalate is None:
            definition = person.definitions[kind_no]
            if definition is None:
                chain: tuple[Assignment, ...] = () if assignee is None else (Assignment(assignee, 0),)
                definition = person.definitions[kind_no] = HumanTaskDef(chain, kind.completion, kind.title, kind.form)
        else:
            # An escalating task's SLA runs out 1 to 7 whole days from now: none is already overdue when the mock
            # starts (a flowing clock would escalate them all at its first tick), and whole days keep them shared.
            sla_days = (now_ms - created) // DAY_MS + 1 + int(r() * 7)
            key = (kind_no, id(assignee), id(escalate), sla_days)  # the people outlive this loop: ids are stable
            definition = escalating.get(key)
            if definition is None:
                chain = (Assignment(assignee, sla_days * 1440), Assignment(escalate, 0))  # type: ignore[arg-type]
                # (a task that escalates has an assignee: only users escalate)
                definition = escalating[key] = HumanTaskDef(chain, kind.completion, kind.title, kind.form)

        state, waiting, claimed, completed = states[bisect_right(thresholds, r())]
        # a finished or claimed task was last touched some time after its creation, and never after `now_ms`
        updated = created if waiting else created + int(r() * min(updated_span, now_ms - created))
        claimant = None
        if claimed:
            pool = person.claimants
            claimant = assignee if pool is None else pool[int(r() * len(pool))]

        log_serial += 1  # the first log's serial (the claim's is the next): `_Generated.action_logs` makes them
        first_log = log_serial
        if claimant is not None:
            log_serial += 1
        # every field of HumanTask, in order (`positional_builder`: ten times faster than HumanTask(...))
        yield _task_of(
            _TASK_ID % n, state, created, updated, assignee, claimant,
            kind.definition_name, kind.title, None, kind.workflow_name, kind.task_ref_name,
            owner_app, claimant.user if claimant is not None else owner_app, owner_app, definition,
            kind.make_input(r, 100_000 + n), outputs[int(r() * 2)] if completed else no_output,
            first_log, (), 0 if assignee is not None else None, (), assignee is None,
        )


def generate_tasks(count: int, *, now_ms: int, seed: int = 0, owner_app: str = OWNER_APP) -> tuple[HumanTask, ...]:
    """`iter_tasks` as a tuple. The cyclic garbage collector is paused meanwhile: the tasks hold no cycles, and
    its passes over millions of young objects would otherwise take a third of the time."""
    if count < 0:
        raise ValueError("the number of tasks to generate cannot be negative")
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return tuple(iter_tasks(count, now_ms=now_ms, seed=seed, owner_app=owner_app))
    finally:
        if was_enabled:
            gc.enable()


def with_deadlines(tasks: tuple[HumanTask, ...]) -> list[HumanTask]:
    """The generated tasks that may have an SLA to watch: those that escalate (only they have an SLA). Tracking
    just these is what tracking them all does, at a sixth of the cost."""
    return [task for task in tasks if len(task.definition.assignments) > 1]
