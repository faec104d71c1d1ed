"use strict";
// The toolforge trajectory viewer: plain JS over the JSON embedded in this page; no network.
// The list renders only the rows in view (virtual scrolling), so 10,000 trajectories stay fast.
(function () {
  const DATA = JSON.parse(document.getElementById("toolforge-data").textContent);
  const ROW_H = 44;
  const rows = DATA.rows;
  const byTask = new Map();
  rows.forEach(function (row, i) {
    row.failing = row.checks.filter(function (c) { return !c.passed; });
    row.failingText = row.failing.map(function (c) { return c.reason.toLowerCase(); }).join("\n");
    if (!byTask.has(row.task_id)) byTask.set(row.task_id, []);
    byTask.get(row.task_id).push(i);
  });
  let shown = rows.map(function (_, i) { return i; });
  let selected = -1;

  const $ = function (id) { return document.getElementById(id); };
  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function pretty(text) {
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return text; }
  }
  function fillSelect(id, values) {
    const select = $(id);
    Array.from(new Set(values)).filter(function (v) { return v !== ""; }).sort().forEach(function (v) {
      const option = el("option", null, v);
      option.value = v;
      select.appendChild(option);
    });
  }

  fillSelect("f-domain", rows.map(function (r) { return r.domain; }));
  fillSelect("f-difficulty", rows.map(function (r) { return r.difficulty; }));
  fillSelect("f-check", [].concat.apply([], rows.map(function (r) { return r.failing.map(function (c) { return c.check; }); })));
  fillSelect("f-tool", [].concat.apply([], rows.map(function (r) { return r.tools_used; })));
  $("source").textContent = DATA.source;

  function number(id) {
    const value = $(id).value;
    return value === "" ? null : Number(value);
  }

  function applyFilters() {
    const t0 = performance.now();
    const domain = $("f-domain").value, difficulty = $("f-difficulty").value;
    const status = $("f-status").value, check = $("f-check").value, tool = $("f-tool").value;
    const reason = $("f-reason").value.toLowerCase();
    const lo = number("f-min"), hi = number("f-max");
    const id = $("f-id").value.trim();
    shown = [];
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (domain && r.domain !== domain) continue;
      if (difficulty && r.difficulty !== difficulty) continue;
      if (status && r.status !== status) continue;
      if (check && !r.failing.some(function (c) { return c.check === check; })) continue;
      if (reason && r.failingText.indexOf(reason) < 0) continue;
      if (lo !== null && r.score < lo) continue;
      if (hi !== null && r.score > hi) continue;
      if (tool && r.tools_used.indexOf(tool) < 0) continue;
      if (id && r.id.indexOf(id) !== 0) continue;
      shown.push(i);
    }
    $("count").textContent = shown.length + " of " + rows.length + " trajectories";
    $("spacer").style.height = shown.length * ROW_H + "px";
    $("list").scrollTop = 0;
    renderList();
    api.lastFilterMs = performance.now() - t0;
  }

  function renderList() {
    const list = $("list"), spacer = $("spacer");
    const first = Math.max(0, Math.floor(list.scrollTop / ROW_H) - 5);
    const last = Math.min(shown.length, first + Math.ceil(list.clientHeight / ROW_H) + 10);
    spacer.textContent = "";
    for (let k = first; k < last; k++) {
      const index = shown[k], r = rows[index];
      const item = el("div", "row" + (index === selected ? " selected" : ""));
      item.style.top = k * ROW_H + "px";
      item.dataset.id = r.id;
      item.dataset.index = index;
      const top = el("div");
      top.appendChild(el("span", "badge " + r.status, r.status));
      top.appendChild(document.createTextNode(" "));
      top.appendChild(el("span", "id", r.id));
      item.appendChild(top);
      const failing = r.failing.map(function (c) { return c.check; }).join(", ");
      item.appendChild(el("div", "meta", [r.domain, r.difficulty, "score " + r.score.toFixed(2),
        "attempt " + r.attempt, failing ? "failed: " + failing : ""].filter(Boolean).join(" · ")));
      spacer.appendChild(item);
    }
  }

  function checksTable(checks) {
    const table = el("table", "checks");
    const head = el("tr");
    ["check", "verdict", "score", "reason"].forEach(function (h) { head.appendChild(el("th", null, h)); });
    table.appendChild(head);
    checks.forEach(function (c) {
      const tr = el("tr");
      tr.dataset.check = c.check;
      tr.appendChild(el("td", null, c.check));
      tr.appendChild(el("td", c.passed ? "pass" : "fail", c.passed ? "pass" : "fail"));
      tr.appendChild(el("td", null, c.score.toFixed(2)));
      tr.appendChild(el("td", "reason", c.reason));
      table.appendChild(tr);
    });
    return table;
  }

  function conversation(messages) {
    const box = el("div", "conversation");
    const callNames = {};
    messages.forEach(function (m) {
      (m.tool_calls || []).forEach(function (c) { callNames[c.id] = c.name; });
    });
    messages.forEach(function (m) {
      const node = el("div", "msg " + m.role + (m.is_error ? " error" : ""));
      let label = m.role;
      if (m.role === "tool") label = "result of " + (callNames[m.tool_call_id] || m.tool_call_id || "tool") + (m.is_error ? " (error)" : "");
      node.appendChild(el("div", "role", label));
      if (m.content) node.appendChild(m.role === "tool" ? el("pre", null, pretty(m.content)) : el("div", "content", m.content));
      (m.tool_calls || []).forEach(function (c) {
        const call = el("div", "call");
        call.appendChild(el("div", null, "call " + c.name + "  [" + c.id + "]"));
        call.appendChild(el("pre", null, pretty(c.arguments)));
        node.appendChild(call);
      });
      box.appendChild(node);
    });
    return box;
  }

  function panel(title, body) {
    const section = el("section", "panel");
    section.appendChild(el("h2", null, title));
    section.appendChild(body);
    return section;
  }

  function taskPanel(task) {
    const body = el("div");
    const goal = el("div", "goal", task.goal);
    goal.id = "task-goal";
    body.appendChild(goal);
    if (Object.keys(task.known_facts || {}).length) body.appendChild(el("pre", null, "facts only the user knows: " + JSON.stringify(task.known_facts, null, 2)));
    const rubric = task.rubric;
    const criteria = el("ul");
    criteria.id = "rubric-criteria";
    rubric.success_criteria.forEach(function (c) { criteria.appendChild(el("li", null, c)); });
    body.appendChild(el("h4", null, "rubric: success criteria"));
    body.appendChild(criteria);
    if (rubric.expected_tool_pattern.length) {
      body.appendChild(el("h4", null, "expected tool use" + (rubric.ordered ? " (in order)" : "")));
      body.appendChild(el("pre", null, rubric.expected_tool_pattern.map(function (c) {
        return c.name + " " + JSON.stringify(c.arguments) + (c.optional ? " (optional)" : "");
      }).join("\n")));
    }
    if (rubric.checkpoints.length) {
      body.appendChild(el("h4", null, "checkpoints"));
      body.appendChild(el("pre", null, rubric.checkpoints.join("\n")));
    }
    if (task.blueprint) {
      body.appendChild(el("h4", null, "blueprint"));
      const pre = el("pre", null, task.blueprint.actions.map(function (a) {
        return a.name + " " + JSON.stringify(a.arguments);
      }).join("\n") + (task.blueprint.final_reply ? "\nfinal reply: " + task.blueprint.final_reply : ""));
      pre.id = "blueprint";
      body.appendChild(pre);
      // The end state can be a whole world: folded, so the conversation stays in sight.
      const state = el("details");
      state.appendChild(el("summary", null, "expected end state"));
      state.appendChild(el("pre", null, JSON.stringify(task.blueprint.expected_end_state, null, 2)));
      body.appendChild(state);
    }
    return panel("task " + task.difficulty + " · " + task.domain, body);
  }

  function attemptColumn(index) {
    const r = rows[index];
    const column = el("div", "attempt" + (index === selected ? " current" : ""));
    column.dataset.id = r.id;
    const title = el("h3");
    title.appendChild(el("span", "badge " + r.status, r.status));
    title.appendChild(document.createTextNode(" attempt " + r.attempt + " · score " + r.score.toFixed(2) +
      " · ended: " + r.end_reason + " · " + r.id));
    column.appendChild(title);
    if (r.error) column.appendChild(el("pre", "fail", r.error));
    column.appendChild(el("div", "meta", "tools offered: " + r.tools_offered.join(", ") + " · used: " + (r.tools_used.join(", ") || "none")));
    column.appendChild(checksTable(r.checks));
    column.appendChild(conversation(r.messages));
    return column;
  }

  function select(index) {
    selected = index;
    renderList();
    const r = rows[index], detail = $("detail");
    detail.textContent = "";
    const task = DATA.tasks[r.task_id];
    detail.appendChild(task ? taskPanel(task) : panel("task", el("div", "empty", "task " + r.task_id + " (not in this source)")));
    const others = byTask.get(r.task_id).filter(function (i) { return i !== index; });
    others.sort(function (a, b) { return rows[a].attempt - rows[b].attempt; });
    const attempts = el("div");
    attempts.id = "attempts";
    [index].concat(others).forEach(function (i) { attempts.appendChild(attemptColumn(i)); });
    detail.appendChild(panel(others.length ? "this attempt and the " + others.length + " other(s) at the same task" : "the only attempt at this task", attempts));
  }

  const api = { applyFilters: applyFilters, select: select, lastFilterMs: 0 };
  window.toolforgeView = api;
  ["f-domain", "f-difficulty", "f-status", "f-check", "f-tool"].forEach(function (id) { $(id).addEventListener("change", applyFilters); });
  ["f-reason", "f-min", "f-max", "f-id"].forEach(function (id) { $(id).addEventListener("input", applyFilters); });
  $("list").addEventListener("scroll", function () { window.requestAnimationFrame(renderList); });
  $("spacer").addEventListener("click", function (event) {
    const row = event.target.closest(".row");
    if (row) select(Number(row.dataset.index));
  });
  applyFilters();
})();
