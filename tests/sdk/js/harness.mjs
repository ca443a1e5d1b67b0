// Shared harness for the scripts in this directory that drive the REAL @io-orkes/conductor-javascript SDK
// against a live mock: loading the SDK from its npm prefix, the stderr logger, the step()/emit() runner,
// connecting with a timeout and a clean exit.
//
// Env: CONDUCTOR_SERVER_URL (e.g. http://127.0.0.1:PORT/api), CONDUCTOR_AUTH_KEY,
// CONDUCTOR_AUTH_SECRET; optional CONDUCTOR_JS_SDK_DIR (npm prefix holding the SDK,
// default <repo>/.sdk/js, filled by scripts/install-js-sdk.sh).
//
// Scripts print one JSON line per step on stdout:
//   {"step": name, "ok": true, "result": ...} or {"step": name, "ok": false, "error": ..., "result"?: ...}
// SDK logs go to stderr, never stdout.

import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const SDK_PACKAGE = "@io-orkes/conductor-javascript";
const CONNECT_TIMEOUT_MS = 30_000;

// ---------------------------------------------------------------- SDK loading

/** Imports the SDK's ESM entry as its package.json `exports["."].import` names it. */
export async function loadSdk() {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const prefix = process.env.CONDUCTOR_JS_SDK_DIR || path.resolve(here, "..", "..", "..", ".sdk", "js");
  const pkgDir = path.join(prefix, "node_modules", ...SDK_PACKAGE.split("/"));
  const pkg = JSON.parse(readFileSync(path.join(pkgDir, "package.json"), "utf8"));
  const entry = pkg.exports?.["."]?.import ?? pkg.module ?? pkg.main;
  const sdk = await import(pathToFileURL(path.join(pkgDir, entry)).href);
  return { sdk, version: pkg.version };
}

/** Sends the SDK's own logging to stderr so stdout stays one JSON object per line. */
export const stderrLogger = {
  info: (...args) => console.error("[sdk info]", ...args),
  debug: () => {},
  warn: (...args) => console.error("[sdk warn]", ...args),
  error: (...args) => console.error("[sdk error]", ...args),
};

// ---------------------------------------------------------------- reporting

let failures = 0;
let describeCause = false;
const emitted = new Set();

/** Options: `describeCause` also reports an Error's `cause` chain in describeError(). */
export function configureHarness(options) {
  describeCause = options?.describeCause === true;
}

export function emit(record) {
  emitted.add(record.step);
  process.stdout.write(`${JSON.stringify(record)}\n`);
}

export function describeError(err) {
  if (err instanceof Error) {
    const out = { name: err.name, message: String(err.message) };
    if (err._trace !== undefined) out.trace = describeError(err._trace);
    if (describeCause && err.cause !== undefined) out.cause = describeError(err.cause);
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
export async function step(name, body) {
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

export const sameUser = (actual, expected) =>
  actual != null && actual.user === expected.user && actual.userType === expected.userType;

// ---------------------------------------------------------------- connect and exit

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Loads the SDK and builds its clients from the CONDUCTOR_* env, reporting the "connect" step.
 * Returns `{ sdk, clients }`, or null when it failed (the failure is already emitted).
 */
export async function connect() {
  const serverUrl = process.env.CONDUCTOR_SERVER_URL;
  const keyId = process.env.CONDUCTOR_AUTH_KEY;
  const keySecret = process.env.CONDUCTOR_AUTH_SECRET;
  if (!serverUrl || !keyId || !keySecret) {
    emit({ step: "connect", ok: false, error: "CONDUCTOR_SERVER_URL, CONDUCTOR_AUTH_KEY and CONDUCTOR_AUTH_SECRET must be set" });
    return null;
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
    return null;
  }
  emit({ step: "connect", ok: true, result: { sdkVersion: version, serverUrl, keyId } });
  return { sdk, clients };
}

/**
 * Runs `body()` (the steps), then stops the client's token refresh and checks that every name in
 * `steps` was reported. Returns the exit code: 0 only if every step's expectations held.
 */
export async function runSteps(clients, steps, body) {
  try {
    await body();
  } finally {
    // The client refreshes its token on a timer; stop it so the process can end.
    clients.getClient().stopBackgroundRefresh?.();
  }
  const missing = steps.filter((name) => !emitted.has(name));
  if (missing.length > 0) {
    emit({ step: "all_steps_ran", ok: false, error: { missing } });
    return 1;
  }
  return failures === 0 ? 0 : 1;
}

/** Runs `main()` and exits with the code it returns; a crash is reported as step "main". */
export function runMain(main) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      emit({ step: "main", ok: false, error: describeError(err) });
      process.exit(1);
    },
  );
}
