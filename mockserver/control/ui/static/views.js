// The inbox/admin list and the task view. Every task call goes through the chosen caller (api.js).

import { BASE, enc } from "./api.js";
import { renderForm } from "./form.js";

export const STATES = ["PENDING", "ASSIGNED", "IN_PROGRESS", "COMPLETED", "TIMED_OUT", "DELETED"];
export const USER_TYPES = ["EXTERNAL_USER", "EXTERNAL_GROUP", "CONDUCTOR_USER", "CONDUCTOR_GROUP"];

/** A DOM element: h("a", {href: "#"}, "text", child, ...). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null && v !== false) el.setAttribute(k, v === true ? "" : v);
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== "") el.append(c instanceof Node ? c : String(c));
  return el;
}

export const who = (u) => (u && u.user ? `${u.userType}: ${u.user}` : "—");
export const iso = (ms) => (typeof ms === "number" && ms > 0 ? new Date(ms).toISOString().replace(".000Z", "Z") : "—");

export function duration(ms) {
  const minutes = Math.floor(Math.abs(ms) / 60000);
  if (minutes < 1) return "under 1 min";
  const d = Math.floor(minutes / 1440), hrs = Math.floor((minutes % 1440) / 60), min = minutes % 60;
  return [d && `${d} d`, hrs && `${hrs} h`, min && !d && `${min} min`].filter(Boolean).join(" ");
}

const context = (task) => (task.input && task.input.__humanTaskProcessContext) || {};
const TERMINAL = ["COMPLETED", "TIMED_OUT", "DELETED"];

/** The SLA of the current assignment: "60 min, 30 min left" / "60 min, overdue 5 min" / "—". */
export function sla(task, now) {
  const ctx = context(task);
  const assignments = (task.humanTaskDef && task.humanTaskDef.assignments) || [];
  const current = assignments[ctx.assigneeIndex ?? -1];
  if (!current || !current.slaMinutes || TERMINAL.includes(task.state) || ctx.assignmentsCompleted) return "—";
  const logs = (ctx.humanTaskActionLogs || []).filter((l) => l.action === "ASSIGNMENT");
  const start = logs.length ? logs[logs.length - 1].stateStart : task.createdOn;
  const left = start + current.slaMinutes * 60000 - now;
  return `${current.slaMinutes} min, ${left >= 0 ? `${duration(left)} left` : `overdue ${duration(left)}`}`;
}

function filtersForm(view, filters, onSearch) {
  const form = h("form", { class: "filters", "aria-label": "Filters", novalidate: true });
  const field = (id, label, control) => h("div", { class: "filter" }, h("label", { for: id }, label), control);
  const state = h("select", { id: "f-state", name: "state" }, h("option", { value: "" }, "any"), ...STATES.map((s) => h("option", { value: s }, s)));
  state.value = filters.state || "";
  const type = h("select", { id: "f-assignee-type", name: "assigneeType" }, ...USER_TYPES.map((t) => h("option", { value: t }, t)));
  type.value = filters.assigneeType || "EXTERNAL_USER";
  const input = (id, name, value) => h("input", { id, name, value: value || "", autocomplete: "off" });
  const size = h("select", { id: "f-size", name: "size" }, ...[5, 10, 15, 25, 50].map((n) => h("option", { value: String(n) }, String(n))));
  size.value = String(filters.size || 15);
  form.append(
    field("f-state", "State", state),
    field("f-assignee-type", "Assignee type", type),
    field("f-assignee", "Assignee", input("f-assignee", "assignee", filters.assignee)),
    field("f-definition", "Definition name", input("f-definition", "definition", filters.definition)),
    field("f-text", "Free text", input("f-text", "text", filters.text)),
    field("f-size", "Page size", size),
    h("div", { class: "filter" }, h("button", { type: "submit" }, "Search")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    onSearch({ ...data, size: Number(data.size), start: 0 });
  });
  return form;
}

export function searchBody(searchType, f) {
  const body = { searchType, start: f.start || 0, size: f.size || 15 };
  if (f.state) body.states = [f.state];
  if (f.assignee) body.assignees = [{ user: f.assignee, userType: f.assigneeType || "EXTERNAL_USER" }];
  if (f.definition) body.definitionNames = [f.definition];
  if (f.text) body.fullTextQuery = f.text;
  return body;
}

/** The inbox or admin list into `main`. */
export async function renderList(app, searchType, filters, refreshOnly = false) {
  const main = app.main;
  const title = searchType === "ADMIN" ? "Admin: all tasks the caller may administer" : "Inbox: tasks the caller may act on";
  let results = main.querySelector("#results");
  if (!refreshOnly || !results || main.dataset.list !== searchType) { // a refresh keeps what is typed in the filters
    results = h("div", { id: "results", "aria-live": "polite" });
    main.replaceChildren(h("h2", {}, title), filtersForm(searchType, filters, (f) => app.search(f)), results);
    main.dataset.list = searchType;
  }
  const page = await app.caller.call("POST", "/human/tasks/search", searchBody(searchType, filters));
  const now = app.now();
  const start = page.start || 0, rows = page.results || [];
  const count = h("p", { id: "count", class: "count" }, rows.length ? `${start + 1}–${start + rows.length} of ${page.totalHits} tasks` : `0 of ${page.totalHits} tasks`);
  const table = h("table", { class: "tasks" },
    h("caption", { class: "visually-hidden" }, title),
    h("thead", {}, h("tr", {}, ...["Task", "State", "Assignee", "Claimant", "Age", "SLA"].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, ...rows.map((t) => h("tr", { "data-task": t.taskId },
      h("th", { scope: "row" }, h("a", { href: `#/task/${enc(t.taskId)}` }, t.displayName || t.taskId), h("span", { class: "id" }, t.taskId)),
      h("td", { "data-label": "State" }, h("span", { class: `state state-${t.state}` }, t.state)),
      h("td", { "data-label": "Assignee" }, who(t.assignee)),
      h("td", { "data-label": "Claimant" }, who(t.claimant)),
      h("td", { "data-label": "Age" }, duration(now - t.createdOn)),
      h("td", { "data-label": "SLA" }, sla(t, now))))));
  const size = filters.size || 15;
  const prev = h("button", { type: "button", disabled: start === 0 }, "Previous page");
  const next = h("button", { type: "button", disabled: start + rows.length >= page.totalHits }, "Next page");
  prev.addEventListener("click", () => app.search({ ...filters, start: Math.max(0, start - size) }));
  next.addEventListener("click", () => app.search({ ...filters, start: start + size }));
  results.replaceChildren(count, rows.length ? table : h("p", {}, "No tasks."), h("div", { class: "pager" }, prev, next));
}

function timeline(task) {
  const logs = context(task).humanTaskActionLogs || [];
  return h("ol", { class: "timeline" }, ...logs.map((l) => h("li", {},
    h("time", {}, iso(l.stateStart)), " ", h("strong", {}, l.action), ` → ${l.state}`,
    h("span", { class: "by" }, ` by ${l.actedBy || "—"}`), l.assignee ? h("span", { class: "hint" }, ` assignee ${who(l.assignee)}`) : "",
    l.claimant ? h("span", { class: "hint" }, ` claimant ${who(l.claimant)}`) : "")));
}

function chain(task) {
  const ctx = context(task);
  const assignments = (task.humanTaskDef && task.humanTaskDef.assignments) || [];
  if (!assignments.length) return h("p", {}, "No assignments: anyone may claim it.");
  return h("ol", { class: "chain" }, ...assignments.map((a, i) => h("li", { "aria-current": i === ctx.assigneeIndex && !ctx.assignmentsCompleted ? "step" : undefined },
    `${who(a.assignee)} — SLA ${a.slaMinutes ? `${a.slaMinutes} min` : "none"}`,
    i === ctx.assigneeIndex && !ctx.assignmentsCompleted ? h("strong", {}, " (current)") : "",
    (ctx.skippedAssigneeIndexes || []).includes(i) ? " (skipped)" : "")));
}

const json = (value) => h("pre", { class: "json", tabindex: "0" }, JSON.stringify(value, null, 2));
const publicInput = (input) => Object.fromEntries(Object.entries(input || {}).filter(([k]) => !k.startsWith("_")));

/** The task view into `main`. */
export async function renderTask(app, taskId) {
  const task = await app.caller.call("GET", `/human/tasks/${enc(taskId)}?withTemplate=true`);
  delete app.main.dataset.list;
  const template = task.humanTaskDef && task.humanTaskDef.fullTemplate;
  const wfLink = h("a", { href: `${BASE}/api/workflow/${enc(task.workflowId || "")}`, id: "workflow-link" }, task.workflowId || "—");
  const wfOut = h("div", { id: "workflow", "aria-live": "polite" });
  const facts = h("dl", { class: "facts" },
    ...[["Task id", task.taskId], ["State", h("span", { class: `state state-${task.state}`, id: "task-state" }, task.state)],
      ["Assignee", h("span", { id: "task-assignee" }, who(task.assignee))], ["Claimant", h("span", { id: "task-claimant" }, who(task.claimant))],
      ["Definition", task.definitionName], ["Owner app", task.ownerApp], ["Created", iso(task.createdOn)], ["Updated", iso(task.updatedOn)],
      ["SLA", sla(task, app.now())], ["Workflow", task.workflowId ? h("span", {}, wfLink, ` (${task.workflowName || ""})`) : "—"]]
      .flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
  const formHost = h("div", { id: "form" });
  const actionsError = h("p", { id: "action-error", class: "error", role: "alert" });
  const externalUser = h("input", { id: "external-user", autocomplete: "off", placeholder: "user@partner.example" });
  const button = (id, label) => h("button", { type: "button", id }, label);
  const buttons = {
    claim: button("claim", "Claim"), release: button("release", "Release"), save: button("save", "Save"), complete: button("complete", "Complete"),
    claimFor: button("claim-external", "Claim for external user"),
  };
  const actions = h("div", { class: "actions", role: "group", "aria-label": "Task actions" }, buttons.claim, buttons.release, buttons.save, buttons.complete);
  const external = app.mayActForOthers(task) ? h("div", { class: "inline external" }, h("label", { for: "external-user" }, "External user"), externalUser, buttons.claimFor) : "";
  app.main.replaceChildren(
    h("p", {}, h("a", { href: app.backHash() }, "← Back to the list")),
    h("h2", { id: "task-title" }, task.displayName || task.taskId), facts,
    h("section", { "aria-labelledby": "form-title" }, h("h3", { id: "form-title" }, template ? `Form: ${template.name} v${template.version}` : "Output"), formHost, actions, external, actionsError),
    h("div", { class: "columns" },
      h("section", { "aria-labelledby": "chain-title" }, h("h3", { id: "chain-title" }, "Assignment chain"), chain(task)),
      h("section", { "aria-labelledby": "log-title" }, h("h3", { id: "log-title" }, "Action log"), timeline(task))),
    h("div", { class: "columns" },
      h("section", { "aria-labelledby": "in-title" }, h("h3", { id: "in-title" }, "Input"), json(publicInput(task.input))),
      h("section", { "aria-labelledby": "out-title" }, h("h3", { id: "out-title" }, "Output"), h("div", { id: "output" }, json(task.output || {})))),
    h("section", { "aria-labelledby": "wf-title" }, h("h3", { id: "wf-title" }, "Workflow"), wfOut));
  const form = template ? renderForm(formHost, template, task.output || {}) : rawOutput(formHost, task.output || {});
  wfLink.addEventListener("click", (event) => {
    event.preventDefault();
    app.guard(async () => showWorkflow(app, task.workflowId, wfOut), actionsError);
  });
  const act = (run) => app.guard(async () => {
    await run();
    await app.route();
  }, actionsError);
  buttons.claim.addEventListener("click", () => act(async () => { await app.caller.call("POST", `/human/tasks/${enc(taskId)}/claim`); app.say(`Claimed ${taskId}`); }));
  buttons.release.addEventListener("click", () => act(async () => { await app.caller.call("POST", `/human/tasks/${enc(taskId)}/release`); app.say(`Released ${taskId}`); }));
  buttons.claimFor.addEventListener("click", () => act(async () => {
    await app.caller.call("POST", `/human/tasks/${enc(taskId)}/externalUser/${enc(externalUser.value.trim())}`);
    app.say(`Claimed ${taskId} for ${externalUser.value.trim()}`);
  }));
  const update = (complete) => {
    const { data, errors } = form.read();
    if (errors.length) {
      const rest = form.showErrors(errors);
      actionsError.textContent = `The form has ${errors.length} error${errors.length > 1 ? "s" : ""}; nothing was sent.${rest.map((e) => ` ${e.message}`).join("")}`;
      return;
    }
    form.showErrors([]);
    app.guard(async () => {
      await app.caller.call("POST", `/human/tasks/${enc(taskId)}/update?complete=${complete}`, data);
      app.say(complete ? `Completed ${taskId}` : `Saved ${taskId}`);
      await app.route();
    }, actionsError, (error) => {
      const serverErrors = (error.body.validationErrors || []).map((v) => ({ path: v.path, message: v.message, server: true }));
      const rest = form.showErrors(serverErrors);
      return rest.map((e) => `${e.path}: ${e.message}`).join("; ");
    });
  };
  buttons.save.addEventListener("click", () => update(false));
  buttons.complete.addEventListener("click", () => update(true));
}

function rawOutput(host, output) {
  const area = h("textarea", { id: "output-json", rows: "6", "aria-describedby": "output-json-error" });
  area.value = JSON.stringify(output, null, 2);
  const error = h("p", { id: "output-json-error", class: "field-error" });
  host.replaceChildren(h("label", { for: "output-json" }, "Output (JSON object; this task has no form template)"), area, error);
  return {
    read() {
      try {
        const data = JSON.parse(area.value || "{}");
        if (data && typeof data === "object" && !Array.isArray(data)) return { data, errors: [] };
      } catch { /* below */ }
      return { data: null, errors: [{ message: "must be a JSON object" }] };
    },
    showErrors(errors) {
      error.textContent = errors.map((e) => `Output ${e.message}`).join("; ");
      if (errors.length) area.setAttribute("aria-invalid", "true"); else area.removeAttribute("aria-invalid");
      if (errors.length) area.focus();
      return [];
    },
  };
}

async function showWorkflow(app, workflowId, host) {
  const wf = await app.caller.call("GET", `/workflow/${enc(workflowId)}?includeTasks=true`);
  const tasks = (wf.tasks || []).map((t) => h("li", {}, `${t.referenceTaskName} (${t.taskType}): ${t.status}`));
  host.replaceChildren(h("p", {}, `Status: `, h("strong", {}, wf.status), ` — ${wf.workflowName || ""} ${wf.workflowId}`),
    h("ol", {}, ...tasks), h("details", {}, h("summary", {}, "Workflow JSON"), json(wf)));
}
