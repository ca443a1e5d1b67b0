// The web inbox: pick an identity, look at the inbox/admin lists and the tasks, work them through their forms.

import { ApiError, BASE, Caller, Mock, controlToken } from "./api.js";
import { MockControls } from "./mock.js";
import { h, renderList, renderTask } from "./views.js";

const IDENTITY_KEY = `conductor-mock-identity${BASE}`; // each namespace has its own identities

class App {
  constructor() {
    this.mock = new Mock(controlToken());
    this.main = document.getElementById("main");
    this.status = document.getElementById("status");
    this.select = document.getElementById("identity");
    this.identities = [];
    this.callers = new Map();
    this.filters = { INBOX: { size: 15 }, ADMIN: { size: 15 } };
    this.controls = new MockControls(this);
    this.lastList = "#/inbox";
  }

  async start() {
    const name = BASE.startsWith("/ns/") ? decodeURIComponent(BASE.slice(4)) : "";
    if (name) document.getElementById("namespace").textContent = `namespace ${name}`;
    await this.loadIdentities();
    this.select.addEventListener("change", () => {
      sessionStorage.setItem(IDENTITY_KEY, this.select.value);
      this.say(`Acting as ${this.identity().label}`);
      this.route();
    });
    window.addEventListener("hashchange", () => this.route(true));
    await this.controls.start();
    await this.route();
  }

  /** The scenario's identities and their keys, from the control export. */
  async loadIdentities() {
    const world = await this.mock.call("GET", "/scenario?format=json");
    const open = !(world.auth && world.auth.required);
    const people = [];
    if (open) people.push({ value: "", label: "anonymous (open mode)", key: null, id: null, roles: ["ADMIN"] });
    const add = (kind) => (principal) => {
      for (const key of principal.keys || []) {
        people.push({ value: key.keyId, label: `${principal.name || principal.id} (${principal.id}, ${kind})`, key, id: principal.id, roles: principal.roles || [] });
      }
    };
    (world.users || []).forEach(add("user"));
    (world.applications || []).forEach(add("application"));
    this.identities = people;
    const previous = this.select.value || sessionStorage.getItem(IDENTITY_KEY);
    this.select.replaceChildren(...people.map((p) => new Option(p.label, p.value)));
    if (people.some((p) => p.value === previous)) this.select.value = previous;
    this.callers.clear();
  }

  identity() {
    return this.identities.find((p) => p.value === this.select.value) || this.identities[0] || { value: "", key: null, roles: [] };
  }

  get caller() {
    const who = this.identity();
    if (!this.callers.has(who.value)) this.callers.set(who.value, new Caller(who.key));
    return this.callers.get(who.value);
  }

  /** Owners and admins may claim a task for an external user. */
  mayActForOthers(task) {
    const who = this.identity();
    return who.roles.includes("ADMIN") || (who.id !== null && who.id === task.ownerApp);
  }

  now() {
    return this.controls.now();
  }

  say(message, isError = false) {
    this.status.textContent = message;
    this.status.classList.toggle("error", isError);
  }

  backHash() {
    return this.lastList;
  }

  /** Runs `work`, showing the server's error message in `where` (and the status line) when it is refused. */
  async guard(work, where, extra) {
    if (where) where.textContent = "";
    try {
      await work();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const more = extra ? extra(error) : "";
      const text = `${error.status}: ${error.message}${more ? ` (${more})` : ""}`;
      if (where) where.textContent = text;
      this.say(text, true);
      return text;
    }
    return null;
  }

  search(filters) {
    const type = this.lastList === "#/admin" ? "ADMIN" : "INBOX";
    this.filters[type] = filters;
    this.route();
  }

  /** A journal entry arrived: the lists follow it live (a task view is left alone, not to lose form input). */
  changed() {
    if (!location.hash.startsWith("#/task/")) this.refresh();
  }

  refresh() {
    if (this.refreshing) return;
    this.refreshing = setTimeout(() => {
      this.refreshing = null;
      if (!location.hash.startsWith("#/task/")) this.route(false, true);
    }, 150);
  }

  async route(focus = false, refreshOnly = false) {
    const hash = location.hash || "#/inbox";
    const task = hash.match(/^#\/task\/(.+)$/);
    document.getElementById("nav-inbox").toggleAttribute("aria-current", hash === "#/inbox");
    document.getElementById("nav-admin").toggleAttribute("aria-current", hash === "#/admin");
    if (document.getElementById("nav-inbox").hasAttribute("aria-current")) document.getElementById("nav-inbox").setAttribute("aria-current", "page");
    if (document.getElementById("nav-admin").hasAttribute("aria-current")) document.getElementById("nav-admin").setAttribute("aria-current", "page");
    const active = document.activeElement;
    const keep = active && this.main.contains(active) && active.id ? active.id : null;
    delete this.main.dataset.view;
    const refused = await this.guard(async () => {
      if (task) {
        await renderTask(this, decodeURIComponent(task[1]));
        document.title = `${document.getElementById("task-title").textContent} · conductor-mock`;
      } else {
        this.lastList = hash === "#/admin" ? "#/admin" : "#/inbox";
        const type = this.lastList === "#/admin" ? "ADMIN" : "INBOX";
        await renderList(this, type, this.filters[type], refreshOnly);
        document.title = `${type === "ADMIN" ? "Admin" : "Inbox"} · conductor-mock`;
      }
    }, null);
    if (refused) delete this.main.dataset.list;
    if (refused) this.main.replaceChildren(h("h2", {}, task ? "Task" : "Tasks"), h("p", { id: "view-error", class: "error", role: "alert" }, refused));
    Object.assign(this.main.dataset, { as: this.select.value, view: hash }); // rendered (the tests wait for it)
    if (focus) this.main.focus();
    else if (keep && document.getElementById(keep)) document.getElementById(keep).focus();
  }
}

window.addEventListener("DOMContentLoaded", () => {
  const app = new App();
  window.conductorMockInbox = app;
  app.start().catch((error) => app.say(`The inbox could not start: ${error.message}`, true));
});
