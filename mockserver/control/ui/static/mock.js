// The mock's own controls: the live journal (short polling), the clock, reset, and the export download.

import { h, iso } from "./views.js";

const POLL_MS = 400;
const KEEP = 200;

export class MockControls {
  constructor(app) {
    this.app = app;
    this.mock = app.mock;
    this.since = 0;
    this.clock = null;
    this.clockAt = 0;
    this.list = document.getElementById("journal");
  }

  async start() {
    await this.readClock();
    const first = await this.mock.call("GET", `/journal?limit=50&since=${Math.max(0, (await this.last()) - 50)}`);
    this.show(first.entries);
    this.since = first.lastSeq;
    this.poll();
    setInterval(() => this.tick(), 1000);
    document.getElementById("clock-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.advance();
    });
    document.getElementById("reset").addEventListener("click", () => this.reset());
    document.getElementById("export-yaml").addEventListener("click", () => this.download("yaml"));
    document.getElementById("export-json").addEventListener("click", () => this.download("json"));
  }

  async last() {
    return (await this.mock.call("GET", "/journal?limit=1&since=0")).lastSeq;
  }

  /** The mock's current time (it flows between reads with a system clock). */
  now() {
    if (!this.clock) return Date.now();
    return this.clock.mode === "manual" ? this.clock.nowMs : this.clock.nowMs + (Date.now() - this.clockAt);
  }

  async readClock() {
    this.clock = await this.mock.call("GET", "/clock");
    this.clockAt = Date.now();
    this.tick();
  }

  tick() {
    const now = document.getElementById("clock-now");
    now.textContent = iso(Math.floor(this.now() / 1000) * 1000);
    now.setAttribute("datetime", new Date(this.now()).toISOString());
    document.getElementById("clock-mode").textContent = this.clock ? `(${this.clock.mode})` : "";
  }

  async poll() {
    try {
      const page = await this.mock.call("GET", `/journal?since=${this.since}&limit=${KEEP}`);
      if (page.entries.length) {
        this.show(page.entries);
        this.since = page.lastSeq;
        this.app.changed(page.entries);
      } else if (page.lastSeq < this.since) {
        this.since = page.lastSeq; // the journal was emptied
      }
    } catch (error) {
      this.app.say(`Journal: ${error.message}`, true);
    }
    setTimeout(() => this.poll(), POLL_MS);
  }

  show(entries) {
    for (const e of entries) {
      const change = e.from && e.to ? `${e.from} → ${e.to}` : e.to || "";
      this.list.prepend(h("li", { "data-seq": String(e.seq), "data-task": e.taskId || "" },
        h("time", {}, iso(e.time)), " ", h("strong", {}, e.action || e.kind || "CHANGE"), " ",
        e.taskId ? h("a", { href: `#/task/${encodeURIComponent(e.taskId)}` }, e.taskId) : "", ` ${change} by ${e.actor || "—"}`));
    }
    while (this.list.children.length > KEEP) this.list.lastElementChild.remove();
  }

  async advance() {
    const input = document.getElementById("clock-advance");
    const error = document.getElementById("clock-error");
    const fired = document.getElementById("clock-fired");
    error.textContent = "";
    try {
      const moved = await this.mock.call("POST", "/clock", { advance: input.value.trim() });
      input.removeAttribute("aria-invalid");
      this.clock = moved;
      this.clockAt = Date.now();
      this.tick();
      const timers = moved.fired || [];
      fired.replaceChildren(h("p", {}, `Advanced to ${moved.now}; ${timers.length} timer${timers.length === 1 ? "" : "s"} fired.`),
        h("ul", { id: "fired" }, ...timers.map((t) => h("li", {}, `${iso(t.at)} ${t.taskId}: ${t.event} → ${t.result}`,
          t.to ? ` (${t.from || ""} → ${t.to})` : ""))));
      this.app.refresh();
    } catch (e) {
      input.setAttribute("aria-invalid", "true");
      error.textContent = e.message;
    }
  }

  async reset() {
    try {
      const world = await this.mock.call("POST", "/reset");
      document.getElementById("clock-fired").replaceChildren();
      await this.readClock();
      this.app.say(`Reset to scenario '${world.scenario || ""}'`);
      await this.app.loadIdentities();
      await this.app.route();
    } catch (e) {
      this.app.say(`Reset failed: ${e.message}`, true);
    }
  }

  async download(format) {
    try {
      const text = await this.mock.text(`/scenario?format=${format}`);
      const url = URL.createObjectURL(new Blob([text], { type: `application/${format}` }));
      const link = h("a", { href: url, download: `conductor-mock-export.${format}` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      this.app.say(`Downloaded the export (${format.toUpperCase()})`);
    } catch (e) {
      this.app.say(`Export failed: ${e.message}`, true);
    }
  }
}
