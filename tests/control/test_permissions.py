"""A scenario's `permissions:` through the control plane: a merge adds grants, an export writes them back."""

from __future__ import annotations

from typing import Final

import yaml

from mockserver.domain import Access, Permission, SubjectType
from tests.conftest import Api
from tests.web.test_api import claim_external

GRANT: Final = """
users:
  - {id: carol@example.com, keys: [{keyId: carol-key, keySecret: carol-secret}]}
permissions:
  - {workflow: invoice_flow, access: [EXECUTE, READ], user: carol@example.com}
"""
CAROL: Final = Permission("invoice_flow", frozenset({Access.EXECUTE, Access.READ}), SubjectType.USER,
                          "carol@example.com")


def test_a_merge_adds_grants_that_take_effect_at_once(api: Api) -> None:
    assert claim_external(api, "ext", "alice@example.com", "carol").status_code == 403
    old = api.token("carol")
    reply = api.client.post("/_mock/scenario?source=grant.yaml", content=GRANT)

    assert reply.status_code == 200, reply.text
    assert api.world.seed.permissions == (CAROL,)
    # grants are identity: like a merge that adds a principal, this one issues a new signing secret
    assert api.client.get("/api/human/tasks/ext", headers={"X-Authorization": old}).status_code == 401
    api.forget_tokens()
    claimed = claim_external(api, "ext", "alice@example.com", "carol")
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["claimant"] == {"user": "alice@example.com", "userType": "EXTERNAL_USER"}


def test_a_merge_keeps_the_grants_already_there_once_each(api: Api) -> None:
    for _ in range(2):
        assert api.client.post("/_mock/scenario", content=GRANT).status_code == 200
    group = "groups: [{id: reviewers}]\npermissions: [{workflow: w, access: [DELETE], group: reviewers}]\n"
    assert api.client.post("/_mock/scenario", content=group).status_code == 200

    assert api.world.seed.permissions == (CAROL, Permission("w", frozenset({Access.DELETE}), SubjectType.GROUP,
                                                            "reviewers"))


def test_an_export_writes_the_grants_and_loads_back_the_same(api: Api) -> None:
    assert api.client.post("/_mock/scenario", content=GRANT).status_code == 200
    exported = api.client.get("/_mock/scenario")
    assert (exported.status_code, exported.headers["x-export-problems"]) == (200, "0"), exported.text
    document = yaml.safe_load(exported.text)

    assert document["permissions"] == [{"workflow": "invoice_flow", "access": ["READ", "EXECUTE"],
                                        "user": "carol@example.com"}]
    assert api.client.put("/_mock/scenario", content=exported.text).status_code == 200
    assert api.world.seed.permissions == (CAROL,)
    assert api.client.get("/_mock/scenario").text == exported.text
