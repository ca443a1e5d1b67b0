// The user form of a task: JSON Forms `templateUI` (VerticalLayout, HorizontalLayout, Group, Label, Control)
// over the template's `jsonSchema`, client-side validation against that schema, and errors shown at the fields.

import { h } from "./views.js";

let counter = 0;

function scopePath(scope) {
  // "#/properties/a/properties/b" -> ["a", "b"]
  return String(scope || "").replace(/^#\/?/, "").split("/").filter((part, i) => i % 2 === 1).map(decodeURIComponent);
}

function schemaAt(schema, path) {
  let node = schema;
  for (const name of path) node = node && node.properties ? node.properties[name] : undefined;
  return node || {};
}

function requiredAt(schema, path) {
  const parent = schemaAt(schema, path.slice(0, -1));
  return Array.isArray(parent.required) && parent.required.includes(path[path.length - 1]);
}

function valueAt(data, path) {
  let node = data;
  for (const name of path) node = node && typeof node === "object" ? node[name] : undefined;
  return node;
}

function setAt(data, path, value) {
  let node = data;
  path.slice(0, -1).forEach((name) => {
    if (!node[name] || typeof node[name] !== "object") node[name] = {};
    node = node[name];
  });
  node[path[path.length - 1]] = value;
}

function titleOf(name) {
  return name.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/[_-]+/g, " ").replace(/^./, (c) => c.toUpperCase());
}

function defaultLayout(schema) {
  return { type: "VerticalLayout", elements: Object.keys(schema.properties || {}).map((n) => ({ type: "Control", scope: `#/properties/${n}` })) };
}

function kindOf(prop, options) {
  if (Array.isArray(prop.enum)) return "enum";
  if (prop.type === "boolean") return "boolean";
  if (prop.type === "integer") return "integer";
  if (prop.type === "number") return "number";
  if (prop.format === "date") return "date";
  if (options && options.multi) return "multi";
  return "string";
}

function inputFor(kind, prop, id, value) {
  if (kind === "enum") {
    const select = h("select", { id });
    select.append(h("option", { value: "" }, "— choose —"));
    prop.enum.forEach((choice, i) => select.append(h("option", { value: String(i) }, String(choice))));
    const index = prop.enum.findIndex((c) => c === value);
    select.value = index >= 0 ? String(index) : "";
    return select;
  }
  if (kind === "boolean") {
    const box = h("input", { id, type: "checkbox" });
    box.checked = value === true;
    return box;
  }
  if (kind === "multi") {
    const area = h("textarea", { id, rows: "4" });
    area.value = value == null ? "" : String(value);
    return area;
  }
  const attrs = { id, autocomplete: "off" };
  if (kind === "number" || kind === "integer") Object.assign(attrs, { type: "number", step: kind === "integer" ? "1" : "any" });
  else if (kind === "date") attrs.type = "date";
  else attrs.type = "text";
  const input = h("input", attrs);
  input.value = value == null ? "" : String(value);
  return input;
}

/** Renders the form into `host`; returns {read, showErrors} over its fields. */
export function renderForm(host, template, data) {
  const schema = template.jsonSchema || {};
  const fields = [];
  const form = h("div", { class: "jsonform" });

  function control(element) {
    const path = scopePath(element.scope);
    if (!path.length) return h("p", { class: "error" }, `Unsupported control scope ${element.scope}`);
    const prop = schemaAt(schema, path);
    const options = element.options || {};
    const kind = kindOf(prop, options);
    const id = `field-${++counter}`;
    const required = requiredAt(schema, path);
    const given = element.label && typeof element.label === "object" ? element.label.text : element.label;
    const label = (typeof given === "string" && given) || prop.title || titleOf(path[path.length - 1]);
    const input = inputFor(kind, prop, id, valueAt(data, path));
    const error = h("p", { class: "field-error", id: `${id}-error` });
    const describedBy = [`${id}-error`];
    if (prop.description) describedBy.unshift(`${id}-help`);
    input.setAttribute("aria-describedby", describedBy.join(" "));
    input.dataset.path = path.join(".");
    if (required) input.setAttribute("aria-required", "true");
    // the required mark is not part of the label (the name is the label; aria-required says it is required)
    const text = h("span", { class: "label-row" }, h("label", { for: id }, label), required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : "");
    const wrap = h("div", { class: `field field-${kind}` });
    if (kind === "boolean") wrap.append(input, text);
    else wrap.append(text, input);
    if (prop.description) wrap.append(h("p", { class: "hint", id: `${id}-help` }, prop.description));
    wrap.append(error);
    fields.push({ path, prop, kind, required, input, error, label });
    return wrap;
  }

  function layout(element) {
    const type = element && element.type;
    const children = () => (element.elements || []).map(layout);
    if (type === "VerticalLayout") return h("div", { class: "vertical" }, ...children());
    if (type === "HorizontalLayout") return h("div", { class: "horizontal" }, ...children());
    if (type === "Group") return h("fieldset", { class: "group" }, h("legend", {}, element.label || ""), ...children());
    if (type === "Label") return h("p", { class: "form-label" }, element.text || "");
    if (type === "Control") return control(element);
    return h("p", { class: "error" }, `Unsupported layout element ${type}`);
  }

  form.append(layout(template.templateUI && template.templateUI.type ? template.templateUI : defaultLayout(schema)));
  host.replaceChildren(form);
  // properties the layout does not show keep their values
  const read = () => readFields(fields, data);
  return { read, showErrors: (errors) => showErrors(fields, errors), fields };
}

function readFields(fields, data) {
  const out = JSON.parse(JSON.stringify(data || {}));
  const errors = [];
  for (const f of fields) {
    const raw = f.input.value;
    let value;
    if (f.kind === "boolean") value = f.input.checked;
    else if (f.kind === "enum") value = raw === "" ? undefined : f.prop.enum[Number(raw)];
    else if (f.kind === "number" || f.kind === "integer") {
      if (f.input.validity && f.input.validity.badInput) {
        errors.push({ path: f.path.join("."), message: "must be a number" });
        continue;
      }
      value = raw.trim() === "" ? undefined : Number(raw);
    } else value = raw === "" ? undefined : raw;
    if (value === undefined) {
      deleteAt(out, f.path);
      if (f.required) errors.push({ path: f.path.join("."), message: "is required" });
      continue;
    }
    setAt(out, f.path, value);
    errors.push(...checkValue(value, f.prop).map((message) => ({ path: f.path.join("."), message })));
  }
  return { data: out, errors };
}

function deleteAt(data, path) {
  const parent = valueAt(data, path.slice(0, -1));
  if (parent && typeof parent === "object") delete parent[path[path.length - 1]];
}

function isDate(text) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

/** The messages of `value` against the keywords the page checks (type, enum, bounds, lengths, pattern, date). */
export function checkValue(value, prop) {
  const problems = [];
  const types = Array.isArray(prop.type) ? prop.type : prop.type ? [prop.type] : [];
  const typeOk = (t) => (t === "integer" ? Number.isInteger(value) : t === "number" ? typeof value === "number" && Number.isFinite(value)
    : t === "string" ? typeof value === "string" : t === "boolean" ? typeof value === "boolean" : t === "null" ? value === null : true);
  if (types.length && !types.some(typeOk)) return [`must be ${types.includes("integer") ? "a whole number" : `of type ${types.join(" or ")}`}`];
  if (Array.isArray(prop.enum) && !prop.enum.includes(value)) problems.push(`must be one of ${prop.enum.join(", ")}`);
  if (typeof value === "number") {
    if (prop.minimum !== undefined && value < prop.minimum) problems.push(`must be at least ${prop.minimum}`);
    if (prop.maximum !== undefined && value > prop.maximum) problems.push(`must be at most ${prop.maximum}`);
    if (typeof prop.exclusiveMinimum === "number" && value <= prop.exclusiveMinimum) problems.push(`must be more than ${prop.exclusiveMinimum}`);
    if (typeof prop.exclusiveMaximum === "number" && value >= prop.exclusiveMaximum) problems.push(`must be less than ${prop.exclusiveMaximum}`);
  }
  if (typeof value === "string") {
    const length = [...value].length;
    if (prop.minLength !== undefined && length < prop.minLength) problems.push(`must have at least ${prop.minLength} characters`);
    if (prop.maxLength !== undefined && length > prop.maxLength) problems.push(`must have at most ${prop.maxLength} characters`);
    if (prop.pattern !== undefined) {
      try {
        if (!new RegExp(prop.pattern, "u").test(value)) problems.push(`must match the pattern ${prop.pattern}`);
      } catch { /* a pattern JavaScript cannot compile is left to the server */ }
    }
    if (prop.format === "date" && !isDate(value)) problems.push("must be a date (YYYY-MM-DD)");
  }
  return problems;
}

/** A server path (`output.a.b`, `body.a`, `$.a`, `/a/b`, `a[0]`) → the field it names, by its longest suffix. */
export function fieldFor(fields, serverPath) {
  const parts = String(serverPath || "").replace(/\[(\d+)\]/g, ".$1").split(/[./]/).filter((p) => p && p !== "$");
  let best = null;
  for (const f of fields) {
    const n = f.path.length;
    if (n <= parts.length && parts.slice(parts.length - n).join(".") === f.path.join(".") && (!best || n > best.path.length)) best = f;
  }
  return best;
}

function showErrors(fields, errors) {
  const unmatched = [];
  for (const f of fields) {
    f.error.textContent = "";
    f.input.removeAttribute("aria-invalid");
  }
  for (const e of errors) {
    const f = e.field || fields.find((x) => x.path.join(".") === e.path) || fieldFor(fields, e.path);
    if (!f) {
      unmatched.push(e);
      continue;
    }
    const text = e.server ? e.message : `${f.label} ${e.message}`;
    f.error.textContent = f.error.textContent ? `${f.error.textContent}; ${text}` : text;
    f.input.setAttribute("aria-invalid", "true");
  }
  const first = fields.find((f) => f.input.getAttribute("aria-invalid") === "true");
  if (first) first.input.focus();
  return unmatched;
}
