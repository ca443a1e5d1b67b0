// The JS SDK's human-in-the-loop example (examples/advanced/human-tasks.ts) against a live mock seeded with
// tests/sdk/workflow_scenario.yaml, with a REAL `TaskHandler` worker running the SIMPLE task:
// humanTask + simpleTask builders, registerWorkflow, startWorkflow, pollSearch, claimTaskAsExternalUser with
// overrideAssignment, updateTaskOutput, completeTask, the worker runs, the workflow completes with its output.
//
// Env and output: see harness.mjs (one JSON line per step on stdout, SDK logs on stderr).

import { connect, runMain, runSteps as runAll, sameUser, step } from "./harness.mjs";

const STEPS = [
  "connect",
  "a_register_humanTask_simpleTask",
  "b_start_worker_and_workflow",
  "c_pollSearch_finds_the_task",
  "d_claim_with_overrideAssignment",
  "e_updateTaskOutput",
  "f_completeTask",
  "g_worker_ran_and_workflow_completed",
];

const WORKFLOW_NAME = "sdk_js_human_in_the_loop";
const REVIEW_REF = "review_task";
const PROCESS_REF = "process_task";
const TASK_TYPE = "process_review_js";
const REVIEWER = { user: "reviewer@example.com", userType: "EXTERNAL_USER" };
const CLAIMANT = "alice@example.com";

const need = (value, what) => {
  if (value === undefined || value === null) throw new Error(`not run: ${what} is missing (an earlier step failed)`);
  return value;
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForWorkflow(executor, workflowId, done, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  let workflow;
  while (Date.now() < until) {
    workflow = await executor.getWorkflow(workflowId, true);
    if (done(workflow)) return workflow;
    await sleep(100);
  }
  return workflow;
}

async function scenario(sdk, clients, state) {
  const executor = clients.getWorkflowClient();
  const human = clients.getHumanClient();

  await step("a_register_humanTask_simpleTask", async (check) => {
    const review = sdk.humanTask(REVIEW_REF, {
      displayName: "Review the document",
      assignmentCompletionStrategy: "LEAVE_OPEN",
      assignee: REVIEWER,
    });
    // As in the example: the worker reads the reviewer's decision through `${review_task.output.output.approved}`.
    const process = sdk.simpleTask(PROCESS_REF, TASK_TYPE, {
      approved: `\${${REVIEW_REF}.output.output.approved}`,
      comment: `\${${REVIEW_REF}.output.output.comment}`,
      document: "${workflow.input.document}",
    });
    const definition = {
      ...sdk.workflow(WORKFLOW_NAME, [review, process]),
      outputParameters: { result: `\${${PROCESS_REF}.output.result}`, by: `\${${PROCESS_REF}.output.by}` },
    };
    check(definition.tasks[1].type === "SIMPLE", "simpleTask builds a SIMPLE task", definition.tasks[1]);
    await executor.registerWorkflow(true, definition);
    return null;
  });

  await step("b_start_worker_and_workflow", async (check) => {
    state.handler = new sdk.TaskHandler({
      client: clients.getClient(),
      scanForDecorated: false,
      logger: { info: () => {}, debug: () => {}, warn: (...a) => console.error(...a), error: (...a) => console.error(...a) },
      workers: [{
        taskDefName: TASK_TYPE,
        pollInterval: 100,
        execute: async (task) => {
          state.executed.push(task.taskId);
          const input = task.inputData ?? {};
          return {
            status: "COMPLETED",
            outputData: { result: input.approved === true ? `approved: ${input.document}` : "rejected", by: "js-worker" },
          };
        },
      }],
    });
    await state.handler.startWorkers();
    state.workflowId = await executor.startWorkflow({ name: WORKFLOW_NAME, version: 1, input: { document: "contract.pdf" } });
    check(typeof state.workflowId === "string" && state.workflowId.length > 0, "startWorkflow returns an id", state.workflowId);
    return { workflowId: state.workflowId };
  });

  await step("c_pollSearch_finds_the_task", async (check) => {
    const found = await human.pollSearch(
      {
        states: ["PENDING", "ASSIGNED"],
        taskRefNames: [REVIEW_REF],
      },
      { pollInterval: 200, maxPollTimes: 25 },
    );
    const task = (found ?? []).find((t) => t.workflowId === state.workflowId);
    check(task !== undefined, "pollSearch returns the workflow's review task", found);
    check(sameUser(task?.assignee, REVIEWER), "assigned to the external reviewer", task?.assignee);
    state.taskId = task?.taskId;
    return task ?? null;
  });

  await step("d_claim_with_overrideAssignment", async (check) => {
    const claimed = await human.claimTaskAsExternalUser(need(state.taskId, "the review task id"), CLAIMANT,
      { overrideAssignment: true });
    check(claimed?.state === "IN_PROGRESS", "state is IN_PROGRESS", claimed?.state);
    check(claimed?.claimant?.user === CLAIMANT, "claimed by alice", claimed?.claimant);
    return null;
  });

  await step("e_updateTaskOutput", async (check) => {
    await human.updateTaskOutput(need(state.taskId, "the review task id"), { output: { comment: "looks fine" } });
    const task = await human.getTaskById(state.taskId);
    check(task?.state === "IN_PROGRESS", "still IN_PROGRESS", task?.state);
    check(task?.output?.output?.comment === "looks fine", "the output is stored", task?.output);
    return null;
  });

  await step("f_completeTask", async (check) => {
    await human.completeTask(need(state.taskId, "the review task id"),
      { output: { approved: true, comment: "looks fine" } });
    const task = await human.getTaskById(state.taskId);
    check(task?.state === "COMPLETED", "state is COMPLETED", task?.state);
    return null;
  });

  await step("g_worker_ran_and_workflow_completed", async (check) => {
    const workflow = await waitForWorkflow(executor, need(state.workflowId, "the workflow id"),
      (w) => w?.status !== "RUNNING");
    check(workflow?.status === "COMPLETED", "workflow COMPLETED", workflow?.status);
    const processTask = workflow?.tasks?.find((t) => t.referenceTaskName === PROCESS_REF);
    check(processTask?.inputData?.approved === true, "the worker got ${review_task.output.output.approved}",
      processTask?.inputData);
    check(processTask?.pollCount === 1 && typeof processTask?.workerId === "string", "polled once by the worker",
      { pollCount: processTask?.pollCount, workerId: processTask?.workerId });
    check(state.executed.length === 1 && state.executed[0] === processTask?.taskId, "the worker ran it once",
      state.executed);
    check(workflow?.output?.result === "approved: contract.pdf" && workflow?.output?.by === "js-worker",
      "the workflow's output is the worker's", workflow?.output);
    return { output: workflow?.output };
  });
}

async function main() {
  const connected = await connect();
  if (connected === null) return 1;
  const { sdk, clients } = connected;
  const state = { executed: [] };
  return runAll(clients, STEPS, async () => {
    try {
      await scenario(sdk, clients, state);
    } finally {
      await state.handler?.stopWorkers();  // stops polling; the process can then exit
    }
  });
}

runMain(main);
