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
from dataclasses import dataclass
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
_TASK_ID = "00000000-0000-4000-9000-{:012x}".format
_WORKFLOW_ID = "00000000-0000-4000-a000-{:012x}".format
_LOG_ID = "00000000-0000-4000-b000-{:012x}".format

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
    """The users and groups tasks go to, one shared `TaskUser` each."""

    def __init__(self, count: int) -> None:
        users = max(8, count // TASKS_PER_USER)
        groups = max(4, count // TASKS_PER_GROUP)
        self.external_users = [TaskUser(f"user{k:05d}@example.com", UserType.EXTERNAL_USER) for k in range(users)]
        self.conductor_users = [TaskUser(f"member{k:05d}@example.com", UserType.CONDUCTOR_USER)
                                for k in range(max(4, users // 4))]
        self.conductor_groups = [TaskUser(f"team-{k:04d}", UserType.CONDUCTOR_GROUP) for k in range(groups)]
        self.external_groups = [TaskUser(f"partner-{k:04d}", UserType.EXTERNAL_GROUP) for k in range(groups)]

    def assignee(self, r: Random) -> TaskUser | None:
        roll = r()
        pool = (self.external_users if roll < 0.55 else self.conductor_users if roll < 0.70
                else self.conductor_groups if roll < 0.82 else self.external_groups if roll < 0.94 else None)
        return None if pool is None else pool[int(r() * len(pool))]

    def claimant(self, r: Random, assignee: TaskUser | None) -> TaskUser:
        """Who claimed a task: the assigned user, someone of the assigned group, or anyone for an open task."""
        if assignee is None or assignee.user_type is UserType.EXTERNAL_GROUP:
            pool = self.external_users
        elif assignee.user_type is UserType.CONDUCTOR_GROUP:
            pool = self.conductor_users
        else:
            return assignee
        return pool[int(r() * len(pool))]

    def escalation(self, r: Random, assignee: TaskUser) -> TaskUser:
        pool = self.external_groups if assignee.user_type is UserType.EXTERNAL_USER else self.conductor_groups
        return pool[int(r() * len(pool))]


def iter_tasks(count: int, *, now_ms: int, seed: int = 0, owner_app: str = OWNER_APP) -> Iterator[HumanTask]:
    """`count` tasks, created in the 90 days before `now_ms`. Deterministic in (count, now_ms, seed)."""
    r = random.Random(seed).random
    people = _People(count)
    definitions: dict[tuple[int, int, int, int], HumanTaskDef] = {}
    acted_by: dict[int, str] = {}  # a claimant's `str()`, once per claimant
    thresholds = [p for _, p in _STATES]
    states = [s for s, _ in _STATES]
    created_span, updated_span = 90 * DAY_MS, 3 * DAY_MS
    no_output: dict[str, Any] = {}  # shared: nothing changes a task's dicts in place (a change makes new ones)
    outputs = tuple(dict(o) for o in _OUTPUTS)
    task_of, log_of = positional_builder(HumanTask), positional_builder(ActionLog)
    log_serial = 0
    for n in range(count):
        kind_no = int(r() * len(_KINDS))
        kind = _KINDS[kind_no]
        assignee = people.assignee(r)
        escalate = None
        if assignee is not None and assignee.user_type in _USERS and r() < 0.25:
            escalate = people.escalation(r, assignee)
        created = now_ms - int(r() * created_span)
        # An escalating task's SLA runs out 1 to 7 whole days from now: none is already overdue when the mock
        # starts (a flowing clock would escalate them all at its first tick), and whole days keep them shared.
        sla_days = (now_ms - created) // DAY_MS + 1 + int(r() * 7) if escalate is not None else 0
        key = (kind_no, id(assignee), id(escalate), sla_days)  # the people outlive this loop: their ids are stable
        definition = definitions.get(key)
        if definition is None:
            chain = tuple(Assignment(u, sla) for u, sla in ((assignee, sla_days * 1440), (escalate, 0)) if u)
            definition = definitions[key] = HumanTaskDef(chain, kind.completion, kind.title, kind.form)

        state = states[bisect_right(thresholds, r())]
        # a finished or claimed task was last touched some time after its creation, and never after `now_ms`
        updated = created if state in _WAITING else created + int(r() * min(updated_span, now_ms - created))
        claimant = people.claimant(r, assignee) if state in _CLAIMED else None

        log_serial += 1
        first = log_of(_LOG_ID(log_serial), TaskState.ASSIGNED, created,
                       LogAction.ASSIGNMENT if assignee is not None else LogAction.ASSIGNMENTS_COMPLETED,
                       "system", assignee, None)
        logs: tuple[ActionLog, ...] = (first,)
        if claimant is not None:
            log_serial += 1
            by = acted_by.get(id(claimant))
            if by is None:
                by = acted_by[id(claimant)] = str(claimant)
            logs = (first, log_of(_LOG_ID(log_serial), TaskState.IN_PROGRESS, updated, LogAction.CLAIM, by,
                                  assignee, claimant))
        # every field of HumanTask, in order (`positional_builder`: ten times faster than HumanTask(...))
        yield task_of(
            _TASK_ID(n), state, created, updated, assignee, claimant,
            kind.definition_name, kind.title, _WORKFLOW_ID(n), kind.workflow_name, kind.task_ref_name,
            owner_app, claimant.user if claimant is not None else owner_app, owner_app, definition,
            kind.make_input(r, 100_000 + n),
            outputs[int(r() * 2)] if state is TaskState.COMPLETED else no_output,
            logs, (), 0 if assignee is not None else None, (), assignee is None,
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
