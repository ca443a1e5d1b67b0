"""What `make bench` sends: the keys, the task, the searches (the same at every generated size)."""

from __future__ import annotations

from typing import Any

ADMIN_KEY = {"keyId": "admin-key", "keySecret": "admin-secret"}
ALICE_KEY = {"keyId": "alice-key", "keySecret": "alice-secret"}
SCENARIO_TASK = "invoice-approval-1001"  # a task of scenarios/default.yaml: the same bytes at every size
SEARCH_USER = {"user": "user00007@example.com", "userType": "EXTERNAL_USER"}  # exists at every generated size

# The search of the side-by-side table: a person's open work, as a task-list UI asks for it.
SEARCH = {"searchType": "ADMIN", "states": ["ASSIGNED", "IN_PROGRESS"], "assignees": [SEARCH_USER], "size": 15}
# The searches of the scale table: one per indexed filter, one combined, and an INBOX one.
SCALE_SEARCHES: dict[str, tuple[dict[str, Any], bool]] = {
    "search: assignee + states": (SEARCH, False),
    "search: claimant + state": ({"searchType": "ADMIN", "claimants": [SEARCH_USER], "states": ["IN_PROGRESS"],
                                  "size": 15}, False),
    "search: state": ({"searchType": "ADMIN", "states": ["ASSIGNED"], "size": 15}, False),
    "search: definition": ({"searchType": "ADMIN", "definitionNames": ["loan_review"], "size": 15}, False),
    "search: INBOX (alice)": ({"searchType": "INBOX", "states": ["ASSIGNED"], "size": 15}, True),
}
