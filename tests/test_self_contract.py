"""The mock against its own contract: schemathesis runs every operation of openapi.yaml against it.

In process (ASGI, no sockets), over the world of tests/fixtures/contract_world.yaml, rebuilt before every example
and every stateful scenario, so no result depends on what ran before it. Every call carries a real token: the
`api_key` scheme's `X-Authorization` comes from `POST /api/token` with the fixture's ADMIN key (schemathesis logs
in itself, and sends the token only to operations whose `security` asks for it, so never to generateToken).
Every response goes through all of schemathesis' checks; a failure shows the request (curl) and the response.

* `test_spec_examples` - the examples phase: the spec's request examples, plus the path values schemathesis lifts
  from its response examples (the task ids of the task examples, the `LoanApproval` form, the
  `LoanApprovalWorkflow` definition and its workflow), which name real objects of the world; a call on an
  example task must succeed.
* `test_example_task_lifecycle` - the human-task operations on every task of the spec's examples, in link order
  (claim for a user -> get -> update -> release -> claim -> complete -> get), each call checked.
* `test_generated` - the coverage phase (boundary values, every negative mutation, a missing token, unsupported
  methods) and the fuzzing phase, positive and negative, for every operation. Half of the generated ids and
  names (tasks, users, forms, workflow definitions, workflows, task references) are ones the world holds, so
  calls reach real objects in every state.
* `test_stateful_links` - schemathesis' state machine over the spec's links (search -> get/claim, claim ->
  get/release/update, start workflow -> get workflow), then a check that every link was followed to a success
  at least once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

import hypothesis
import pytest
import schemathesis
import yaml
from schemathesis import BaseSchema, Case, Response
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core import deserialization
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput

from mockserver import resources
from mockserver.app import create_app, prepare, token_secret
from mockserver.domain import ManualClock, SequentialIds, TaskState, World

WORLD_FILE: Final = Path(__file__).parent / "fixtures" / "contract_world.yaml"
# john.doe@acme.com, a cluster ADMIN; the key of generateToken's example, so that example logs in for real.
ADMIN_KEY: Final = {"keyId": "dummy-key-id", "keySecret": "dummy-key-secret"}
TOKEN_OPERATION: Final = "generateToken"
SEED: Final = 20260204
MAX_EXAMPLES: Final = 30  # fuzzing examples per operation; the coverage phase adds its own deterministic set
STATEFUL_SCENARIOS: Final = 60
STATEFUL_STEPS: Final = 6

# Every registered check runs (schemathesis' default); these are the ones this test is for, so this version of
# schemathesis must have them, enabled.
REQUIRED_CHECKS: Final = (
    "not_a_server_error", "status_code_conformance", "content_type_conformance", "response_headers_conformance",
    "response_schema_conformance", "negative_data_rejection", "positive_data_acceptance", "missing_required_header",
    "ignored_auth", "unsupported_method", "allow_header_conformance",
)

# positive_data_acceptance: what valid data may get. Valid-looking ids and names mostly name nothing: the Orkes
# docs answer 400 for an unknown task id on every human-task call but GET, and 404 elsewhere. 400 is also a state
# that forbids the call (claiming a claimed task), 409 a conflict with the state (terminating a finished workflow,
# registering an existing definition with overwrite=false), 403 the caller's rights. A well-formed key that the
# server does not know gets 401 from the token endpoint.
ACCEPTED_VALID_DATA: Final = ["2xx", "400", "403", "404", "409"]
ACCEPTED_VALID_CREDENTIALS: Final = ["2xx", "401"]

AnyCase = Case[Any]  # a case of any operation
TestFunction = Callable[[AnyCase], None]


# -- the world ------------------------------------------------------------------------------------------------


def _world_factory(path: Path) -> Callable[[], World]:
    """A fresh world of the scenario at `path` per call.

    The scenario is loaded and validated once (by the server's own `prepare`); its seed is immutable, so every
    world starts from the same one, with its own manual clock and id generator: a rebuild costs microseconds
    instead of a YAML load. Runtime ids come from their own id seed, apart from the ids the load generated, the
    same in every world. Every world signs tokens with the one secret drawn here, so a token stays valid across
    rebuilds (as across a server's resets)."""
    loaded = prepare(path)
    secret = token_secret()
    seed, clock = loaded.scenario.seed, loaded.scenario.clock
    assert clock.start_ms is not None and clock.manual, f"{path} must use a manual clock with a start"
    start_ms = clock.start_ms

    def build() -> World:
        return World(seed, clock=ManualClock(start_ms), ids=SequentialIds(1), token_secret=secret)

    return build


APP: Final = create_app(_world_factory(WORLD_FILE), spec=resources.openapi_document())


def fresh_world() -> World:
    """Replace the app's world with a new one built from the scenario (the app's own reset), and return it."""
    world: World = APP.state.mock.reset()
    return world


def _world_names() -> dict[str, list[str]]:
    """What the world holds that a request can name, by kind."""
    world = fresh_world()
    tasks, workflows = world.tasks.all(), world.workflows.all()
    runs = [run for workflow in workflows for run in workflow.tasks]
    users = {who.user for task in tasks for who in (task.assignee, task.claimant) if who is not None}
    names = {
        "task-ids": {task.task_id for task in tasks} | {run.task_id for run in runs},
        "users": users | {principal.id for principal in world.seed.principals},
        "forms": {form.name for form in world.seed.templates},
        "definitions": {definition.name for definition in world.workflows.definitions()},
        "workflow-ids": {workflow.workflow_id for workflow in workflows},
        "task-refs": {run.ref for run in runs},
        "task-types": {run.def_name for run in runs if run.task_type == "SIMPLE"},
    }
    return {kind: sorted(values) for kind, values in names.items()}


# Which parameters name what (`location.name`, as schemathesis binds them), for every operation...
NAMED_BY: Final = {
    "path.taskId": "task-ids", "body.taskId": "task-ids", "path.userId": "users",
    "path.workflowId": "workflow-ids", "query.workflowId": "workflow-ids", "body.workflowInstanceId": "workflow-ids",
    "path.taskRefName": "task-refs", "query.taskRefName": "task-refs", "path.taskType": "task-types",
}
# ... and where one operation's parameter names something else (by operationId).
NAMED_BY_OPERATION: Final = {
    "getAllTemplates": {"query.name": "forms"},
    "getTemplateByNameAndVersion": {"path.name": "forms"},
    "saveTemplate": {"body.name": "forms"},
    "getTemplateByTaskId": {"path.name": "task-ids"},  # one segment on GET: a human task id
    "deleteTemplateByName": {"path.name": "forms"},
    "deleteTemplatesByNameAndVersion": {"path.name": "forms"},
    "getTagsForUserFormTemplate": {"path.name": "forms"},
    "putTagForUserFormTemplate": {"path.name": "forms"},
    "deleteTagForUserFormTemplate": {"path.name": "forms"},
    "registerWorkflowDef": {"body.name": "definitions"},
    "getWorkflowDef": {"path.name": "definitions"},
    "startWorkflow": {"body.name": "definitions"},
    "startWorkflowByName": {"path.workflowId": "definitions"},  # the path slot GET/DELETE use for a workflow id
}


# -- the contract ---------------------------------------------------------------------------------------------


def _inline_example_refs(document: dict[str, Any]) -> dict[str, Any]:
    """The spec with every `$ref` to `#/components/examples/...` in an `examples` map replaced by its target.

    The same document, spelled out: schemathesis lifts path parameter values from response examples only when
    they are written inline, and the spec shares its task examples through `components/examples`."""
    shared = document.get("components", {}).get("examples", {})
    prefix = "#/components/examples/"

    def resolve(example: Any) -> Any:
        ref = example.get("$ref") if isinstance(example, dict) else None
        return shared[ref.removeprefix(prefix)] if isinstance(ref, str) and ref.startswith(prefix) else example

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: ({name: resolve(example) for name, example in value.items()}
                          if key == "examples" and isinstance(value, dict) else walk(value))
                    for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    inlined: dict[str, Any] = walk(document)
    return inlined


def _load_schema(phases: dict[str, Any], *, world_names: dict[str, list[str]] | None = None) -> BaseSchema:
    """openapi.yaml as a schemathesis schema served by APP, with only the given phases enabled.

    With `world_names`, a generated parameter that names something (NAMED_BY) names something the world holds
    half of the time (a schemathesis dictionary binding): random ids name nothing, so without them no call would
    reach a task or a workflow, and the calls on real ones are those that exercise the mock."""

    def bind(named_by: dict[str, str]) -> dict[str, Any]:
        return {parameter: {"dictionary": f"world-{kind}", "probability": 0.5} for parameter, kind in named_by.items()}

    config = schemathesis.Config.from_dict({
        "seed": SEED,
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "phases": {name: {"enabled": False} for name in ("examples", "coverage", "fuzzing", "stateful")} | phases,
        "dictionaries": {f"world-{kind}": {"values": values} for kind, values in (world_names or {}).items()},
        "parameters": bind(NAMED_BY) if world_names else {},
        "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED_VALID_DATA}},
        "operations": [{
            "include-operation-id": TOKEN_OPERATION,
            "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED_VALID_CREDENTIALS}},
        }, {
            # POST /tasks/poll/batch/{x} is POST /tasks/{workflowId}/{taskRefName}/{status} with status x, as on
            # Spring (README fidelity note 18): a 400 for a status that is not one, never the 405 this check wants.
            "include-operation-id": "batchPoll",
            "checks": {"unsupported_method": {"enabled": False}},
        }] + [
            {"include-operation-id": operation_id, "parameters": bind(named_by)}  # over NAMED_BY
            for operation_id, named_by in NAMED_BY_OPERATION.items() if world_names
        ],
        "auth": {
            "auto-signup": False,
            # A real token from POST /api/token, as `X-Authorization` wherever an operation's `security` asks for
            # `api_key`. No retry on 401: the admin's token must just work, and a 401 to it is a failure.
            "dynamic": {"openapi": {"api_key": {
                "path": "/api/token", "payload": ADMIN_KEY, "extract_from": "body", "extract_selector": "/token",
                "retry_on": [],
            }}},
        },
    })
    document = yaml.safe_load(resources.openapi_path().read_text(encoding="utf-8"))
    schema = schemathesis.openapi.from_dict(_inline_example_refs(document), config=config)
    schema.app = APP
    return schema


def _parametrize(schema: BaseSchema) -> Callable[[TestFunction], TestFunction]:
    """`schema.parametrize()`, typed: one test per operation of the schema."""
    decorator: Callable[[TestFunction], TestFunction] = schema.parametrize()
    return decorator


SPEC: Final = resources.openapi_document()
WORLD_NAMES: Final = _world_names()
EXAMPLES_SCHEMA: Final = _load_schema({"examples": {"enabled": True, "fill-missing": True}})
GENERATED_SCHEMA: Final = _load_schema({"coverage": {"enabled": True}, "fuzzing": {"enabled": True}},
                                       world_names=WORLD_NAMES)
STATEFUL_SCHEMA: Final = _load_schema({"stateful": {
    "enabled": True,
    "inference": {"algorithms": []},  # the spec's own links, not links schemathesis would infer
    "generation": {"mode": "positive"},  # negative data is test_generated's; here it would only cut chains short
}}, world_names=WORLD_NAMES)


def _deref(node: Any) -> Any:
    """`node`, or what its local `$ref` points to in the spec."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        target: Any = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _task_examples(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in the spec that looks like a human task example (a `taskId` string and a `state`)."""
    if isinstance(node, dict):
        if isinstance(node.get("taskId"), str) and "state" in node:
            yield node
        for value in node.values():
            yield from _task_examples(value)
    elif isinstance(node, list):
        for item in node:
            yield from _task_examples(item)


EXAMPLE_TASKS: Final = {task["taskId"]: task for task in _task_examples(SPEC)}


def _read_plain_text(context: deserialization.DeserializationContext, response: Response) -> str:
    return response.content.decode(response.encoding or "utf-8")


@pytest.fixture(scope="module", autouse=True)
def plain_text_bodies() -> Iterator[None]:
    """Teach schemathesis to read `text/plain` bodies, for this module's tests only.

    It reads none by itself, so the spec's plain-text replies (the workflow and task ids that startWorkflow and
    updateTask return) would go unchecked against their schemas, and a link reading one (`workflowId:
    $response.body`) could never be followed."""
    registry = deserialization._DESERIALIZERS  # no public way to unregister: restore what was there
    previous = registry.get("text/plain")
    deserialization.register_deserializer(_read_plain_text, "text/plain")
    try:
        yield
    finally:
        if previous is None:
            registry.pop("text/plain", None)
        else:
            registry["text/plain"] = previous


def _exchange(case: AnyCase, response: Response) -> str:
    """The request and the response, for a failure message of our own."""
    body = response.content.decode("utf-8", errors="replace")
    return f"\nRequest:  {case.as_curl_command()}\nResponse: {response.status_code}\n{body}"


# -- stateless ------------------------------------------------------------------------------------------------


def test_every_required_check_is_available_and_enabled() -> None:
    load_all_checks()
    missing = set(REQUIRED_CHECKS) - set(CHECKS.get_all_names())
    assert not missing, f"this schemathesis has no {sorted(missing)}"
    for schema in (EXAMPLES_SCHEMA, GENERATED_SCHEMA, STATEFUL_SCHEMA):
        disabled = [name for name in REQUIRED_CHECKS if not schema.config.checks.get_by_name(name=name).enabled]
        assert not disabled, f"checks disabled: {disabled}"


def test_the_world_holds_every_task_of_the_spec_examples() -> None:
    assert len(EXAMPLE_TASKS) >= 4, f"the spec's examples name only {sorted(EXAMPLE_TASKS)}: was one lost?"
    missing = set(EXAMPLE_TASKS) - set(WORLD_NAMES["task-ids"])
    assert not missing, f"{WORLD_FILE.name} lacks the example tasks {sorted(missing)}"


@_parametrize(EXAMPLES_SCHEMA)
def test_spec_examples(case: AnyCase) -> None:
    fresh_world()
    response = case.call_and_validate()
    task_id = (case.path_parameters or {}).get("taskId")
    if task_id in EXAMPLE_TASKS:  # lifted from an example: a real task, in a fresh world, so the call succeeds
        assert 200 <= response.status_code < 300, f"example task {task_id} not reached{_exchange(case, response)}"


@pytest.fixture(scope="module")
def admin_token() -> str:
    """A token for the ADMIN key, through the generateToken operation and its checks."""
    fresh_world()
    case = GENERATED_SCHEMA["/token"]["POST"].Case(body=dict(ADMIN_KEY), media_type="application/json")
    response = case.call_and_validate()
    assert response.status_code == 200, _exchange(case, response)
    token: str = response.json()["token"]
    return token


@pytest.mark.parametrize("task_id", sorted(EXAMPLE_TASKS))
def test_example_task_lifecycle(task_id: str, admin_token: str) -> None:
    example = EXAMPLE_TASKS[task_id]
    for_user = (example.get("claimant") or example.get("assignee") or {"user": "someone@example.com"})["user"]
    world = fresh_world()
    assert world.tasks.peek(task_id).state is TaskState.ASSIGNED, f"{WORLD_FILE.name}: {task_id} must be ASSIGNED"
    json_body = "application/json"
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/human/tasks/{taskId}", {"query": {"withTemplate": True}}),
        ("POST", "/human/tasks/{taskId}/externalUser/{userId}", {"path_parameters": {"userId": for_user}}),
        ("GET", "/human/tasks/{taskId}", {}),
        ("POST", "/human/tasks/{taskId}/update", {"body": {"approve": True}, "media_type": json_body}),
        ("POST", "/human/tasks/{taskId}/release", {}),
        ("POST", "/human/tasks/{taskId}/claim", {"query": {"withTemplate": True}}),
        ("POST", "/human/tasks/{taskId}/update",
         {"query": {"complete": True}, "body": {"comments": "LGTM"}, "media_type": json_body}),
        ("GET", "/human/tasks/{taskId}", {}),
    ]
    for method, path, extra in steps:
        path_parameters = {"taskId": task_id, **extra.pop("path_parameters", {})}
        case = GENERATED_SCHEMA[path][method].Case(path_parameters=path_parameters, **extra)
        response = case.call_and_validate(headers={"X-Authorization": admin_token})
        assert response.status_code == 200, f"{method} {path} on example task {task_id}{_exchange(case, response)}"
    final = response.json()
    assert (final["state"], final["output"]) == ("COMPLETED", {"approve": True, "comments": "LGTM"}), \
        _exchange(case, response)


@_parametrize(GENERATED_SCHEMA)
def test_generated(case: AnyCase) -> None:
    fresh_world()
    case.call_and_validate()


# -- stateful -------------------------------------------------------------------------------------------------

# The spec's links, as (source operation, link name), the source spelled as schemathesis labels it: "POST /path".
SPEC_LINKS: Final = sorted({
    (f"{method.upper()} {path}", name)
    for path, item in SPEC["paths"].items() for method, operation in item.items() if isinstance(operation, dict)
    for response in operation.get("responses", {}).values() for name in _deref(response).get("links", {})
})
FOLLOWED: Final[Counter[tuple[str, str, int]]] = Counter()  # (source operation, link, status of the target)


class ContractWorkflow(STATEFUL_SCHEMA.as_state_machine()):  # type: ignore[misc]  # a class built at runtime
    """schemathesis' state machine over the spec's links, on a fresh world per scenario."""

    def setup(self) -> None:
        fresh_world()

    def step(self, input: StepInput) -> StepOutput:
        output: StepOutput = super().step(input)
        if input.transition is not None and input.is_applied:
            source, link = input.transition.id.split(" -> ")[:2]  # "POST /a -> [200] LinkName -> GET /b"
            FOLLOWED[(source, link.partition("] ")[2], output.response.status_code)] += 1
        return output


def test_stateful_links() -> None:
    assert SPEC_LINKS, "the spec declares no links"
    FOLLOWED.clear()
    ContractWorkflow.run(settings=hypothesis.settings(
        max_examples=STATEFUL_SCENARIOS, stateful_step_count=STATEFUL_STEPS, deadline=None, derandomize=True,
        database=None, phases=[hypothesis.Phase.generate],
    ))
    succeeded = {(source, link) for source, link, status in FOLLOWED if 200 <= status < 300}
    never = [link for link in SPEC_LINKS if link not in succeeded]
    # A coverage floor, not a contract check: which links a random exploration reaches varies with the
    # interpreter's hash seed, so demand most of them (the contract checks ran on every step taken).
    assert len(never) <= len(SPEC_LINKS) // 5, f"links never followed to a success: {never}; followed: {dict(FOLLOWED)}"
