// Drives the REAL @io-orkes/conductor-javascript 4.0.0 `WorkflowExecutor` and `HumanExecutor` through
// human-task workflows on a live mock seeded with tests/sdk/workflow_scenario.yaml.
//
// Env and output: see harness.mjs (one JSON line per step on stdout, SDK logs on stderr).
// Every step runs even after a failure (later steps may then fail too; read the first one).
// Exits 0 only if every step's expectations held.

import { configureHarness, connect, emit, runMain, runSteps as runAll, sameUser, step } from "./harness.mjs";

// Errors report their `cause` chain too.
configureHarness({ describeCause: true });

// The step names, in order. tests/sdk/test_js_workflow.py checks that each appears with ok true.
const STEPS = [
  "connect",
  // one instance: completed through the human-task API (HumanExecutor)
  "a_registerWorkflow_humanTask_builder",
  "b_startWorkflow",
  "c_getWorkflow_running",
  "d_getTaskById_assigned",
  "e_claimTaskAsExternalUser_alice",
  "f_completeTask",
  "g_getWorkflow_completed",
  "h_getTaskById_completed",
  // a second instance: completed through the Conductor task API by reference name
  "i_startWorkflow_second",
  "j_getExecution_running",
  "k_updateTaskByRefName",
  "l_getWorkflow_completed_by_ref",
  "m_getTaskById_completed_by_ref",
  // a third instance: completed through the Conductor task API with a TaskResult
  "n_updateTask",
];

const ALICE = { user: "alice@example.com", userType: "EXTERNAL_USER" };
const WORKFLOW_NAME = "sdk_js_approval";
const HUMAN_REF = "approve_ref";
const RECORD_REF = "record_ref";

// ---------------------------------------------------------------- helpers

/** Throws when an earlier step did not produce what this one needs. */
function need(value, what) {
  if (value === undefined || value === null) throw new Error(`not run: ${what} is missing (an earlier step failed)`);
  return value;
}

const sameJson = (a, b) => JSON.stringify(a) === JSON.stringify(b);

const taskOf = (workflow, ref) => (Array.isArray(workflow?.tasks) ? workflow.tasks.find((t) => t?.referenceTaskName === ref) : undefined);

/** The fields of a Workflow worth reporting (the whole object is large). */
function workflowView(workflow) {
  if (workflow == null || typeof workflow !== "object") return workflow;
  return {
    workflowId: workflow.workflowId,
    status: workflow.status,
    output: workflow.output,
    variables: workflow.variables,
    tasks: Array.isArray(workflow.tasks)
      ? workflow.tasks.map((t) => ({
          taskId: t?.taskId,
          taskType: t?.taskType,
          status: t?.status,
          referenceTaskName: t?.referenceTaskName,
          outputData: t?.outputData,
        }))
      : workflow.tasks,
  };
}

/** Checks a workflow that waits on its HUMAN task; returns that task. */
function checkWaiting(check, workflow, workflowId) {
  check(workflow?.workflowId === workflowId, `workflowId is ${workflowId}`, workflow?.workflowId);
  check(workflow?.status === "RUNNING", "workflow status is RUNNING", workflow?.status);
  const human = taskOf(workflow, HUMAN_REF);
  check(human !== undefined, `tasks include ${HUMAN_REF}`, workflowView(workflow)?.tasks);
  check(human?.taskType === "HUMAN", "the human task's taskType is HUMAN", human?.taskType);
  check(human?.status === "IN_PROGRESS", "the HUMAN task's status is IN_PROGRESS", human?.status);
  check(typeof human?.taskId === "string" && human.taskId.length > 0, "the HUMAN task has a taskId", human?.taskId);
  const record = taskOf(workflow, RECORD_REF);
  check(record === undefined || record.status !== "COMPLETED", `${RECORD_REF} has not run yet`, record);
  return human;
}

/** Checks a workflow whose HUMAN task completed with `output`. */
function checkCompleted(check, workflow, taskId, output) {
  check(workflow?.status === "COMPLETED", "workflow status is COMPLETED", workflow?.status);
  check(sameJson(workflow?.output, output), `workflow output is ${JSON.stringify(output)}`, workflow?.output);
  const human = taskOf(workflow, HUMAN_REF);
  check(human?.taskId === taskId, "the HUMAN task keeps its taskId", human?.taskId);
  check(human?.taskType === "HUMAN", "the HUMAN task's taskType is HUMAN", human?.taskType);
  check(human?.status === "COMPLETED", "the HUMAN task's status is COMPLETED", human?.status);
  check(human?.outputData?.approved === output.approved, "the HUMAN task's outputData.approved", human?.outputData);
  const record = taskOf(workflow, RECORD_REF);
  check(record?.taskType === "SET_VARIABLE", `${RECORD_REF} is a SET_VARIABLE task`, record?.taskType);
  check(record?.status === "COMPLETED", `${RECORD_REF} is COMPLETED`, record?.status);
  check(workflow?.variables?.approved === output.approved, "SET_VARIABLE set variables.approved", workflow?.variables);
}

// ---------------------------------------------------------------- the scenario

async function runSteps(sdk, executor, human) {
  const state = {};

  await step("a_registerWorkflow_humanTask_builder", async (check) => {
    const approve = sdk.humanTask(HUMAN_REF, {
      displayName: "Approve the request",
      formTemplate: "approve_form",
      formVersion: 1,
      assignmentCompletionStrategy: "LEAVE_OPEN",
      assignee: { userType: "EXTERNAL_USER", user: ALICE.user },
    });
    const record = sdk.setVariableTask(RECORD_REF, { approved: `\${${HUMAN_REF}.output.approved}` });
    const definition = {
      ...sdk.workflow(WORKFLOW_NAME, [approve, record]),
      description: "conductor-mock SDK test: one human approval",
      outputParameters: { approved: `\${${HUMAN_REF}.output.approved}` },
    };
    // The builder writes a singular `assignee` (no `assignments`): the mock must accept it.
    const humanDef = approve.inputParameters.__humanTaskDefinition;
    check(sameUser(humanDef.assignee, ALICE) && humanDef.assignments === undefined,
      "the humanTask builder writes a singular assignee", humanDef);
    const returned = await executor.registerWorkflow(true, definition);
    check(returned === undefined, "registerWorkflow resolves to void", returned);
    return { definition };
  });

  const start = async (check, correlationId, amount) => {
    const workflowId = await executor.startWorkflow({ name: WORKFLOW_NAME, version: 1, input: { amount }, correlationId });
    check(typeof workflowId === "string" && workflowId.length > 0,
      "startWorkflow returns the workflow id as a string (text/plain)", workflowId);
    return typeof workflowId === "string" && workflowId.length > 0 ? workflowId : undefined;
  };

  await step("b_startWorkflow", async (check) => {
    state.first = await start(check, "sdk-js-1", 10);
    return { workflowId: state.first };
  });

  await step("c_getWorkflow_running", async (check) => {
    const workflowId = need(state.first, "the workflow id");
    const workflow = await executor.getWorkflow(workflowId, true);
    const task = checkWaiting(check, workflow, workflowId);
    state.firstTask = task?.taskId;
    return workflowView(workflow);
  });

  await step("d_getTaskById_assigned", async (check) => {
    const taskId = need(state.firstTask, "the HUMAN task id");
    const task = await human.getTaskById(taskId);
    check(task?.taskId === taskId, "the human task's taskId is the HUMAN task's id", task?.taskId);
    check(task?.state === "ASSIGNED", "state is ASSIGNED", task?.state);
    check(sameUser(task?.assignee, ALICE), "assignee is alice EXTERNAL_USER (from the builder's assignee)", task?.assignee);
    check(task?.workflowId === state.first, "workflowId is the started workflow", task?.workflowId);
    check(task?.taskRefName === HUMAN_REF, `taskRefName is ${HUMAN_REF}`, task?.taskRefName);
    return task;
  });

  await step("e_claimTaskAsExternalUser_alice", async (check) => {
    const task = await human.claimTaskAsExternalUser(need(state.firstTask, "the HUMAN task id"), ALICE.user);
    check(task?.state === "IN_PROGRESS", "state is IN_PROGRESS", task?.state);
    check(sameUser(task?.claimant, ALICE), "claimant is alice EXTERNAL_USER", task?.claimant);
    return task;
  });

  await step("f_completeTask", async (check) => {
    const returned = await human.completeTask(need(state.firstTask, "the HUMAN task id"), { approved: true });
    check(returned === undefined, "completeTask resolves to void", returned);
    return null;
  });

  await step("g_getWorkflow_completed", async (check) => {
    const workflow = await executor.getWorkflow(need(state.first, "the workflow id"), true);
    checkCompleted(check, workflow, state.firstTask, { approved: true });
    return workflowView(workflow);
  });

  await step("h_getTaskById_completed", async (check) => {
    const task = await human.getTaskById(need(state.firstTask, "the HUMAN task id"));
    check(task?.state === "COMPLETED", "state is COMPLETED", task?.state);
    check(task?.output?.approved === true, "output.approved is true", task?.output);
    return task;
  });

  await step("i_startWorkflow_second", async (check) => {
    state.second = await start(check, "sdk-js-2", 20);
    return { workflowId: state.second };
  });

  await step("j_getExecution_running", async (check) => {
    const workflowId = need(state.second, "the second workflow id");
    const workflow = await executor.getExecution(workflowId);
    const task = checkWaiting(check, workflow, workflowId);
    state.secondTask = task?.taskId;
    return workflowView(workflow);
  });

  await step("k_updateTaskByRefName", async (check) => {
    const workflowId = need(state.second, "the second workflow id");
    need(state.secondTask, "the second HUMAN task id");
    const returned = await executor.updateTaskByRefName(HUMAN_REF, workflowId, "COMPLETED", { approved: false });
    check(returned === state.secondTask, "updateTaskByRefName returns the task id (text/plain)", returned);
    return { returned };
  });

  await step("l_getWorkflow_completed_by_ref", async (check) => {
    const workflow = await executor.getWorkflow(need(state.second, "the second workflow id"), true);
    checkCompleted(check, workflow, state.secondTask, { approved: false });
    return workflowView(workflow);
  });

  await step("m_getTaskById_completed_by_ref", async (check) => {
    const task = await human.getTaskById(need(state.secondTask, "the second HUMAN task id"));
    check(task?.state === "COMPLETED",
      "completing the HUMAN task through the task API completes the human task", task?.state);
    check(task?.output?.approved === false, "output.approved is false", task?.output);
    return task;
  });

  await step("n_updateTask", async (check) => {
    const workflowId = await start(check, "sdk-js-3", 30);
    need(workflowId, "the third workflow id");
    const running = await executor.getWorkflow(workflowId, true);
    const task = checkWaiting(check, running, workflowId);
    const taskId = need(task?.taskId, "the third HUMAN task id");
    const returned = await executor.updateTask(taskId, workflowId, "COMPLETED", { approved: true });
    check(returned === taskId, "updateTask returns the task id (text/plain)", returned);
    const workflow = await executor.getWorkflow(workflowId, true);
    checkCompleted(check, workflow, taskId, { approved: true });
    const entry = await human.getTaskById(taskId);
    check(entry?.state === "COMPLETED", "the human task is COMPLETED", entry?.state);
    return { returned, workflow: workflowView(workflow) };
  });
}

// ---------------------------------------------------------------- main

async function main() {
  const connected = await connect();
  if (connected === null) return 1;
  const { sdk, clients } = connected;

  const executor = clients.getWorkflowClient();
  const human = clients.getHumanClient();
  if (!(executor instanceof sdk.WorkflowExecutor) || !(human instanceof sdk.HumanExecutor)) {
    emit({ step: STEPS[1], ok: false, error: "getWorkflowClient()/getHumanClient() did not return a WorkflowExecutor/HumanExecutor" });
    return 1;
  }
  return runAll(clients, STEPS, () => runSteps(sdk, executor, human));
}

runMain(main);
