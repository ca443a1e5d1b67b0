"""The lifecycle room: every rule of claim, release, update, complete, reassign, skip, escalation and deletion.

- `table`: the state sets (OPEN, LIVE, TERMINAL), the transition table, the refusal texts, who escalates;
- `rights`: who may read, claim, act on a claim, reassign, delete; the INBOX and ADMIN search scopes;
- `logs`: the builders of `humanTaskActionLogs` entries (also for seeded tasks: `seeded_claim_log`);
- `transitions`: each change as a pure function `(task, caller, ..., now, ids) -> new task`, checks in order.

The store only loads a task, applies one transition under its lock, and saves and indexes the result.
"""

from mockserver.domain.lifecycle.logs import SYSTEM, assignment_log, seeded_claim_log
from mockserver.domain.lifecycle.table import (
    LIVE_STATES,
    OPEN_STATES,
    TERMINAL_STATES,
    TRANSITIONS,
    may_escalate,
    next_state,
    refusal,
)
from mockserver.domain.lifecycle.transitions import new_task

__all__ = [
    "LIVE_STATES", "OPEN_STATES", "SYSTEM", "TERMINAL_STATES", "TRANSITIONS", "assignment_log", "may_escalate",
    "new_task", "next_state", "refusal", "seeded_claim_log",
]
