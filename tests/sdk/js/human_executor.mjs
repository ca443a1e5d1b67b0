// Drives the REAL @io-orkes/conductor-javascript 4.0.0 `HumanExecutor` against a live mock
// seeded with tests/sdk/sdk_scenario.yaml.
//
// Env and output: see harness.mjs (one JSON line per step on stdout, SDK logs on stderr).
// Every step runs even after a failure (later steps may then fail too; read the first one).
// Exits 0 only if every step's expectations held.

import { connect, describeError, emit, runMain, runSteps as runAll, sameUser, step } from "./harness.mjs";

// The step names, in order. tests/sdk/test_js_sdk.py checks that each appears with ok true.
const STEPS = [
  "connect",
  "a_getTaskById_assigned",
  "b_search_admin_assigned",
  "b_pollSearch_without_searchType_by_owner",
  "c_claimTaskAsExternalUser_alice",
  "d_claimTaskAsExternalUser_bob_rejected",
  "e_releaseTask",
  "f_claimTaskAsConductorUser",
  "g_updateTaskOutput_completeTask",
  "h_getTemplateByNameVersion",
  "i_claimTaskAsExternalUser_withTemplate",
  "j_getTaskById_unknown_rejected",
];

const ALICE = { user: "alice@example.com", userType: "EXTERNAL_USER" };
const OWNER_APP = "owner-app";

// ---------------------------------------------------------------- helpers

/** Awaits `promise`, which must reject; returns the rejection reason, or a marker if it resolved. */
async function rejection(promise) {
  try {
    const value = await promise;
    return { resolved: true, value };
  } catch (err) {
    return { resolved: false, err };
  }
}

// ---------------------------------------------------------------- the scenario

async function runSteps(human) {
  await step("a_getTaskById_assigned", async (check) => {
    const task = await human.getTaskById("t-ext");
    check(task?.taskId === "t-ext", "taskId is t-ext", task?.taskId);
    check(task?.state === "ASSIGNED", "state is ASSIGNED", task?.state);
    check(sameUser(task?.assignee, ALICE), "assignee is alice EXTERNAL_USER", task?.assignee);
    return task;
  });

  await step("b_search_admin_assigned", async (check) => {
    const results = await human.search({ states: ["ASSIGNED"], assignees: [ALICE], searchType: "ADMIN" });
    check(Array.isArray(results), "search() returns an array", results);
    const ids = Array.isArray(results) ? results.map((t) => t?.taskId) : [];
    check(ids.includes("t-ext"), "results contain t-ext", ids);
    return { taskIds: ids };
  });

  // The JS SDK example (examples/advanced/human-tasks.ts): the application that owns the task polls without
  // searchType and finds it, although it is assigned to an external user; results carry no humanTaskDef.
  await step("b_pollSearch_without_searchType_by_owner", async (check) => {
    const results = await human.pollSearch(
      { states: ["PENDING", "ASSIGNED"], taskRefNames: ["approve_ref"] },
      { pollInterval: 50, maxPollTimes: 3 },
    );
    const ids = (results ?? []).map((t) => t.taskId);
    check(ids.includes("t-ext"), "pollSearch without searchType finds t-ext", ids);
    const found = (results ?? []).find((t) => t.taskId === "t-ext");
    check(found !== undefined && !("humanTaskDef" in found), "the result has no humanTaskDef", found);
    check(found?.input?.__humanTaskDefinition?.userFormTemplate?.name === "approve_form",
      "the definition is in input.__humanTaskDefinition", found?.input);
    return ids;
  });

  await step("c_claimTaskAsExternalUser_alice", async (check) => {
    const task = await human.claimTaskAsExternalUser("t-ext", "alice@example.com");
    check(task?.state === "IN_PROGRESS", "state is IN_PROGRESS", task?.state);
    check(sameUser(task?.claimant, ALICE), "claimant is alice EXTERNAL_USER", task?.claimant);
    return task;
  });

  await step("d_claimTaskAsExternalUser_bob_rejected", async (check) => {
    const outcome = await rejection(human.claimTaskAsExternalUser("t-ext", "bob@example.com"));
    check(!outcome.resolved, "claim of a claimed task throws", outcome.value);
    if (outcome.resolved) return null;
    const message = String(outcome.err?.message);
    check(message.includes("already claimed"), "error message includes the server's 'already claimed'", message);
    return { thrown: describeError(outcome.err) };
  });

  await step("e_releaseTask", async (check) => {
    const released = await human.releaseTask("t-ext");
    check(released === undefined, "releaseTask resolves to void", released);
    const task = await human.getTaskById("t-ext");
    check(task?.state === "ASSIGNED", "state is ASSIGNED after release", task?.state);
    check(task?.claimant == null, "no claimant after release", task?.claimant);
    check(sameUser(task?.assignee, ALICE), "assignee is still alice", task?.assignee);
    return task;
  });

  await step("f_claimTaskAsConductorUser", async (check) => {
    const task = await human.claimTaskAsConductorUser("t-open");
    check(task?.state === "IN_PROGRESS", "state is IN_PROGRESS", task?.state);
    check(task?.claimant?.userType === "CONDUCTOR_USER", "claimant userType is CONDUCTOR_USER", task?.claimant);
    check(task?.claimant?.user === OWNER_APP, `claimant user is the key's owner ${OWNER_APP}`, task?.claimant);
    return task;
  });

  await step("g_updateTaskOutput_completeTask", async (check) => {
    const updated = await human.updateTaskOutput("t-open", { draft: true });
    check(updated === undefined, "updateTaskOutput resolves to void", updated);
    const completed = await human.completeTask("t-open", { approved: true });
    check(completed === undefined, "completeTask resolves to void", completed);
    const task = await human.getTaskById("t-open");
    check(task?.state === "COMPLETED", "state is COMPLETED", task?.state);
    check(task?.output?.approved === true, "output.approved is true", task?.output);
    check(task?.output?.draft === true, "output.draft is true (kept from updateTaskOutput)", task?.output);
    return task;
  });

  await step("h_getTemplateByNameVersion", async (check) => {
    const template = await human.getTemplateByNameVersion("approve_form", 1);
    check(template?.name === "approve_form", "name is approve_form", template?.name);
    check(template?.version === 1, "version is 1", template?.version);
    const schema = template?.jsonSchema;
    check(schema !== null && typeof schema === "object" && !Array.isArray(schema), "jsonSchema is an object", schema);
    return template;
  });

  await step("i_claimTaskAsExternalUser_withTemplate", async (check) => {
    const task = await human.claimTaskAsExternalUser("t-ext", "alice@example.com", {
      overrideAssignment: false,
      withTemplate: true,
    });
    check(task?.state === "IN_PROGRESS", "state is IN_PROGRESS", task?.state);
    check(sameUser(task?.claimant, ALICE), "claimant is alice EXTERNAL_USER", task?.claimant);
    const full = task?.humanTaskDef?.fullTemplate;
    check(full?.name === "approve_form", "humanTaskDef.fullTemplate.name is approve_form", full);
    return task;
  });

  await step("j_getTaskById_unknown_rejected", async (check) => {
    const outcome = await rejection(human.getTaskById("no-such-task"));
    check(!outcome.resolved, "getTaskById of an unknown id throws", outcome.value);
    if (outcome.resolved) return null;
    const message = String(outcome.err?.message);
    check(message.includes("no-such-task"), "error message includes the server's 'no-such-task'", message);
    // The SDK's own context ("Failed to get human task 'no-such-task'") already names the id,
    // so also require the server's wording to prove its body.message reached the caller.
    check(/not found/i.test(message), "error message carries the server's 'not found' text", message);
    return { thrown: describeError(outcome.err) };
  });
}

// ---------------------------------------------------------------- main

async function main() {
  const connected = await connect();
  if (connected === null) return 1;
  const { sdk, clients } = connected;

  const human = clients.getHumanClient();
  if (!(human instanceof sdk.HumanExecutor)) {
    emit({ step: "a_getTaskById_assigned", ok: false, error: "getHumanClient() did not return a HumanExecutor" });
    return 1;
  }
  return runAll(clients, STEPS, () => runSteps(human));
}

runMain(main);
