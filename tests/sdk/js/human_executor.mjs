// Drives the REAL @io-orkes/conductor-javascript 4.0.0 `HumanExecutor` against a live mock
// seeded with tests/sdk/sdk_scenario.yaml.
//
// Env: CONDUCTOR_SERVER_URL (e.g. http://127.0.0.1:PORT/api), CONDUCTOR_AUTH_KEY,
// CONDUCTOR_AUTH_SECRET; optional CONDUCTOR_JS_SDK_DIR (npm prefix holding the SDK,
// default <repo>/.sdk/js, filled by scripts/install-js-sdk.sh).
//
// Prints one JSON line per step on stdout:
//   {"step": name, "ok": true, "result": ...} or {"step": name, "ok": false, "error": ..., "result"?: ...}
// Every step runs even after a failure (later steps may then fail too; read the first one).
// Exits 0 only if every step's expectations held. SDK logs go to stderr, never stdout.

import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const SDK_PACKAGE = "@io-orkes/conductor-javascript";
const CONNECT_TIMEOUT_MS = 30_000;

// The step names, in order. tests/sdk/test_js_sdk.py checks that each appears with ok true.
const STEPS = [
  "connect",
  "a_getTaskById_assigned",
  "b_search_admin_assigned",
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

// ---------------------------------------------------------------- SDK loading

/** Imports the SDK's ESM entry as its package.json `exports["."].import` names it. */
async function loadSdk() {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const prefix = process.env.CONDUCTOR_JS_SDK_DIR || path.resolve(here, "..", "..", "..", ".sdk", "js");
  const pkgDir = path.join(prefix, "node_modules", ...SDK_PACKAGE.split("/"));
  const pkg = JSON.parse(readFileSync(path.join(pkgDir, "package.json"), "utf8"));
  const entry = pkg.exports?.["."]?.import ?? pkg.module ?? pkg.main;
  const sdk = await import(pathToFileURL(path.join(pkgDir, entry)).href);
  return { sdk, version: pkg.version };
}

/** Sends the SDK's own logging to stderr so stdout stays one JSON object per line. */
const stderrLogger = {
  info: (...args) => console.error("[sdk info]", ...args),
  debug: () => {},
  warn: (...args) => console.error("[sdk warn]", ...args),
  error: (...args) => console.error("[sdk error]", ...args),
};

// ---------------------------------------------------------------- reporting

let failures = 0;
const emitted = new Set();

function emit(record) {
  emitted.add(record.step);
  process.stdout.write(`${JSON.stringify(record)}\n`);
}

function describeError(err) {
  if (err instanceof Error) {
    const out = { name: err.name, message: String(err.message) };
    if (err._trace !== undefined) out.trace = describeError(err._trace);
    return out;
  }
  if (err && typeof err === "object") return { name: "non-Error", value: err };
  return { name: typeof err, message: String(err) };
}

/** A list collecting "expected X, got Y" lines for one step. */
function expectations() {
  const problems = [];
  const check = (cond, what, actual) => {
    if (!cond) problems.push(`${what} (got ${JSON.stringify(actual)})`);
  };
  return { problems, check };
}

/**
 * Runs one step. `body(check)` calls the SDK and returns the value to report;
 * `check(cond, what, actual)` records an unmet expectation.
 */
async function step(name, body) {
  const { problems, check } = expectations();
  let result;
  try {
    result = await body(check);
  } catch (err) {
    failures++;
    const error = { unexpectedThrow: describeError(err) };
    if (problems.length > 0) error.expectations = problems;
    emit({ step: name, ok: false, error });
    return;
  }
  if (problems.length > 0) {
    failures++;
    emit({ step: name, ok: false, error: { expectations: problems }, result: result ?? null });
    return;
  }
  emit({ step: name, ok: true, result: result ?? null });
}

/** Awaits `promise`, which must reject; returns the rejection reason, or a marker if it resolved. */
async function rejection(promise) {
  try {
    const value = await promise;
    return { resolved: true, value };
  } catch (err) {
    return { resolved: false, err };
  }
}

const sameUser = (actual, expected) =>
  actual != null && actual.user === expected.user && actual.userType === expected.userType;

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

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function main() {
  const serverUrl = process.env.CONDUCTOR_SERVER_URL;
  const keyId = process.env.CONDUCTOR_AUTH_KEY;
  const keySecret = process.env.CONDUCTOR_AUTH_SECRET;
  if (!serverUrl || !keyId || !keySecret) {
    emit({ step: "connect", ok: false, error: "CONDUCTOR_SERVER_URL, CONDUCTOR_AUTH_KEY and CONDUCTOR_AUTH_SECRET must be set" });
    return 1;
  }

  let sdk;
  let version;
  let clients;
  try {
    ({ sdk, version } = await loadSdk());
    // OrkesClients.from retries a failing /api/token for minutes: bound it so a broken
    // token endpoint fails this step instead of hanging until the test's timeout.
    clients = await withTimeout(
      sdk.OrkesClients.from({ serverUrl, keyId, keySecret, logger: stderrLogger }),
      CONNECT_TIMEOUT_MS,
      "OrkesClients.from (POST /api/token)",
    );
  } catch (err) {
    emit({ step: "connect", ok: false, error: describeError(err) });
    return 1;
  }
  emit({ step: "connect", ok: true, result: { sdkVersion: version, serverUrl, keyId } });

  const human = clients.getHumanClient();
  if (!(human instanceof sdk.HumanExecutor)) {
    emit({ step: "a_getTaskById_assigned", ok: false, error: "getHumanClient() did not return a HumanExecutor" });
    return 1;
  }
  try {
    await runSteps(human);
  } finally {
    // The client refreshes its token on a timer; stop it so the process can end.
    clients.getClient().stopBackgroundRefresh?.();
  }
  const missing = STEPS.filter((name) => !emitted.has(name));
  if (missing.length > 0) {
    emit({ step: "all_steps_ran", ok: false, error: { missing } });
    return 1;
  }
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    emit({ step: "main", ok: false, error: describeError(err) });
    process.exit(1);
  },
);
