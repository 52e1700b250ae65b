// The Hourglass dashboard: hash routes, one poll per second (never overlapping, paused while the
// tab is hidden or the token prompt is open), and pages built from the API of docs/API.md.

import { api, ApiError, token, setToken, counters, clockSkewMillis } from "./api.js";
import { h, lineChart, bar, formatNumber } from "./charts.js";
import { collectGraph, drawGraph } from "./graph.js";

const STATES = ["PENDING", "SCHEDULED", "READY", "RUNNING", "SUCCEEDED", "FAILED", "DEAD",
  "CANCELLED"];
const TERMINAL = new Set(["SUCCEEDED", "CANCELLED"]);
/** Why: the issue allows at most one poll a second; each tick waits for the last. */
const POLL_MILLIS = 1000;
/** The charts show this much history, sampled once per tick. */
const WINDOW_MILLIS = 5 * 60 * 1000;
const PAGE_SIZE = 50;
/** Why: a rare filter may exhaust the server's scan budget; follow the cursor a few times. */
const FILL_SCANS_MAX = 3;
const COUNTERS = ["hourglass_jobs_succeeded_total", "hourglass_jobs_failed_total",
  "hourglass_jobs_submitted_total"];

const main = document.getElementById("main");
const banner = document.getElementById("banner");
const flash = document.getElementById("flash");
const statusEl = document.getElementById("status");
const dialog = document.getElementById("token-dialog");

let view = null; // {update: async () => void} of the mounted page
let routeSeq = 0;
let tickNo = 0;
const samples = []; // {t, succeeded, failed, submitted}
let clusterMode = false;
let followerOf = null; // the leader's dashboard URL when this node is a follower

// ------------------------------------------------------------------------------------------
// Errors, token prompt, status

function showError(err) {
  if (err instanceof ApiError && err.needsToken) {
    askForToken(err);
    return;
  }
  banner.replaceChildren(err instanceof ApiError
    ? `${err.status ? "Server answered " + err.status + " " + err.code + ": " : ""}${err.message}`
    : `Dashboard error: ${err && err.message ? err.message : err}`);
  if (followerOf) {
    banner.append(h("br"), "This node is a Raft follower and sends API calls to the leader: ",
      followerOf.startsWith("http") ? h("a", { href: followerOf }, "open the leader's dashboard")
        : followerOf, ".");
  }
  banner.hidden = false;
  statusEl.textContent = "● error";
  statusEl.className = "status bad";
}

function clearError() {
  banner.hidden = true;
  statusEl.textContent = `● live · ${new Date().toLocaleTimeString()}`;
  statusEl.className = "status ok";
}

function askForToken(err) {
  const msg = document.getElementById("token-reason");
  msg.textContent = err.status === 0 ? "Enter an API token (client, worker or admin)."
    : err.status === 403
    ? `This token may not do that (${err.message}). Enter a token with the needed role` +
      " (re-drive needs admin)."
    : token() ? `The server refused this token (${err.message}). Enter another.`
      : "The server needs a token. Enter one (client, worker or admin).";
  if (!dialog.open) {
    dialog.returnValue = ""; // Escape keeps the last value; only the save button saves
    dialog.showModal();
    document.getElementById("token-input").focus();
  }
}

dialog.addEventListener("close", () => {
  if (dialog.returnValue === "save") {
    setToken(document.getElementById("token-input").value.trim());
    document.getElementById("token-input").value = "";
    refresh();
  }
});
document.getElementById("token-button").addEventListener("click", () =>
  askForToken(new ApiError(0, "", "")));
document.getElementById("token-clear").addEventListener("click", () => {
  setToken(null);
  dialog.close("clear");
});
window.addEventListener("error", (e) => showError(e.error || e.message));
window.addEventListener("unhandledrejection", (e) => showError(e.reason));

function say(text, bad = false) {
  flash.textContent = text;
  flash.className = bad ? "flash bad" : "flash";
  flash.hidden = false;
}

/** Runs a state-changing call from a button, then refreshes; 403 asks for a better token. */
async function act(button, what, call) {
  button.disabled = true;
  try {
    const r = await call();
    say(`${what}: ${r && r.state ? r.state : "done"}`);
    await refresh();
  } catch (e) {
    if (e instanceof ApiError && e.needsToken) showError(e);
    else say(`${what} failed: ${e.message}`, true);
  } finally {
    button.disabled = false;
  }
}

// ------------------------------------------------------------------------------------------
// Small formatting helpers

const fmtTime = (ms) => {
  if (!ms) return "–";
  const d = new Date(ms);
  return d.toDateString() === new Date().toDateString() ? d.toLocaleTimeString()
    : d.toLocaleString();
};
const serverNow = () => Date.now() + clockSkewMillis;
function fmtAge(ms) {
  const s = Math.max(0, Math.round((serverNow() - ms) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}
const fmtDuration = (ms) => ms < 1000 ? `${ms} ms` : ms < 120000 ? `${(ms / 1000).toFixed(1)} s`
  : `${Math.round(ms / 60000)} min`;
const stateBadge = (st) => h("span", { class: `badge st-${st}`, "data-testid": "state" }, st);
const jobLink = (id) => h("a", { href: `#/job/${encodeURIComponent(id)}`, class: "mono" }, id);
const pretty = (v) => v === undefined || v === null ? "–" : JSON.stringify(v, null, 2);

/** Replaces el's content only when key changed, so that a steady page keeps its DOM. */
function put(el, key, build) {
  if (el.dataset.key === key) return;
  el.dataset.key = key;
  el.replaceChildren(...[build()].flat().filter((c) => c !== null && c !== undefined));
}

function table(headers, rows, testid) {
  return h("table", { "data-testid": testid },
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", {}, x)))),
    h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: headers.length,
      class: "muted" }, "none"))));
}

// ------------------------------------------------------------------------------------------
// Overview: counts, live charts, queues

function rates(key) {
  const out = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1], b = samples[i];
    const dv = b[key] - a[key], dt = b.t - a.t;
    if (dt > 0 && dv >= 0) out.push({ t: b.t, v: (dv * 1000) / dt });
  }
  return out;
}

async function sample() {
  const c = await counters(COUNTERS);
  const now = Date.now();
  samples.push({ t: now, succeeded: c[COUNTERS[0]] || 0, failed: c[COUNTERS[1]] || 0,
    submitted: c[COUNTERS[2]] || 0 });
  while (samples.length && samples[0].t < now - WINDOW_MILLIS - 5000) samples.shift();
}

function overview(root) {
  const counts = h("section", { class: "cards", "data-testid": "counts" });
  const charts = h("section", { class: "charts" });
  const queues = h("section", {});
  const tasks = h("section", { hidden: true });
  root.append(h("h1", {}, "Overview"), counts, h("h2", {}, "Last 5 minutes"), charts,
    h("h2", {}, "Queues"), queues, tasks);
  let marked = false;
  return {
    async update() {
      const [stats, q, t] = await Promise.all([api("/api/v1/stats"), api("/api/v1/queues"),
        api("/api/v1/tasks/limits")]);
      put(counts, JSON.stringify(stats.counts), () => STATES.map((st) =>
        h("a", { class: `card st-${st}`, href: `#/jobs?state=${st}`,
          "data-testid": `count-${st}`, "data-value": stats.counts[st] ?? 0 },
        h("span", { class: "label" }, st),
        h("span", { class: "value" }, formatNumber(stats.counts[st] ?? 0)))));
      counts.dataset.ready = "true";
      if (!marked) {
        marked = true;
        performance.mark("hourglass:counts-rendered");
      }
      renderQueues(queues, q.queues);
      renderTaskLimits(tasks, t.tasks);
      renderCharts(charts);
    },
  };
}

function renderCharts(el) {
  const now = Date.now();
  const ok = rates("succeeded"), bad = rates("failed"), sub = rates("submitted");
  const share = ok.map((p, i) => ({ t: p.t,
    v: bad[i] && p.v + bad[i].v > 0 ? (100 * bad[i].v) / (p.v + bad[i].v) : 0 }));
  el.replaceChildren(
    lineChart({ samples: ok, windowMillis: WINDOW_MILLIS, now, title: "Throughput",
      unit: "jobs/s", color: "#2f9e44", testid: "chart-throughput" }),
    lineChart({ samples: bad, windowMillis: WINDOW_MILLIS, now, title: "Failed attempts",
      unit: "/s", color: "#e03131", testid: "chart-failures" }),
    lineChart({ samples: share, windowMillis: WINDOW_MILLIS, now, title: "Failure rate",
      unit: "%", color: "#f08c00", testid: "chart-failure-rate" }),
    lineChart({ samples: sub, windowMillis: WINDOW_MILLIS, now, title: "Submitted",
      unit: "jobs/s", color: "#1971c2", testid: "chart-submitted" }));
}

function renderQueues(el, queues) {
  put(el, JSON.stringify(queues), () => {
    const maxReady = Math.max(0, ...queues.map((q) => q.counts.READY || 0));
    // READY jobs whose task type (in that queue) no live worker runs: they wait silently otherwise.
    const stuck = queues.flatMap((q) => Object.entries(q.unrunnable || {})
      .map(([task, n]) => ({ queue: q.queue, task, n })));
    const notice = stuck.length ? h("p", { class: "notice", "data-testid": "unrunnable-notice" },
      `${formatNumber(stuck.reduce((s, u) => s + u.n, 0))} READY job(s) wait for a worker that`
        + " can run them: ", stuck.map((u) => h("span", { class: "chip" },
        `${u.task} in ${u.queue}: ${formatNumber(u.n)}`)),
      " Start a worker with a handler for these task types.") : null;
    return [notice, table(["Queue", "Ready", "Ready by priority", "Running", "Waiting", "Dead",
      "No worker can run", "Policy", ""],
      queues.map((q) => h("tr", { "data-testid": "queue-row", "data-queue": q.queue },
        h("td", {}, h("a", { href: `#/jobs?queue=${encodeURIComponent(q.queue)}` }, q.queue)),
        h("td", { class: "num" }, formatNumber(q.counts.READY || 0), " ",
          bar(q.counts.READY || 0, maxReady)),
        h("td", {}, Object.entries(q.ready_by_priority || {})
          .sort((a, b) => Number(b[0]) - Number(a[0]))
          .map(([p, n]) => h("span", { class: "chip" }, `p${p}: ${formatNumber(n)}`))),
        h("td", { class: "num" }, `${q.running}${q.max_running ? " / " + q.max_running : ""}`),
        h("td", { class: "num" },
          formatNumber((q.counts.PENDING || 0) + (q.counts.SCHEDULED || 0) + (q.counts.FAILED || 0))),
        h("td", { class: "num" }, formatNumber(q.counts.DEAD || 0)),
        h("td", { "data-testid": "queue-unrunnable" }, Object.entries(q.unrunnable || {})
          .map(([task, n]) => h("span", { class: "chip unrunnable" },
            `${task}: ${formatNumber(n)}`))),
        h("td", { "data-testid": "queue-policy" }, policyChips(q)),
        h("td", {}, q.paused ? h("span", { class: "badge st-DEAD" }, "paused") : ""))),
      "queues")];
  });
}

// The task types with a limit (over all their queues and workers); shown only when there are any.
function renderTaskLimits(el, tasks) {
  el.hidden = tasks.length === 0;
  put(el, JSON.stringify(tasks), () => [h("h2", {}, "Task limits"),
    table(["Task", "Running", "Rate limit"], tasks.map((t) =>
      h("tr", { "data-testid": "task-limit-row", "data-task": t.task },
        h("td", {}, h("a", { href: `#/jobs?task=${encodeURIComponent(t.task)}` }, t.task)),
        h("td", { class: "num" }, `${t.running}${t.max_running ? " / " + t.max_running : ""}`),
        h("td", {}, t.rate_per_second != null
          ? h("span", { class: "chip" }, `${t.rate_per_second}/s, burst ${t.burst}`) : ""))),
    "task-limits")]);
}

// A queue's scheduling policy as chips: its weight (when not 1), its rate limit, its fairness.
function policyChips(q) {
  const chips = [];
  if (q.weight && q.weight !== 1) chips.push(`weight ${q.weight}`);
  if (q.rate_per_second != null) chips.push(`${q.rate_per_second}/s, burst ${q.burst}`);
  if (q.fairness === "round_robin") {
    const weighted = Object.entries(q.key_weights || {}).map(([k, w]) => `${k}×${w}`).join(" ");
    chips.push(`fair: ${formatNumber(q.active_keys || 0)} keys${weighted ? " (" + weighted + ")" : ""}`);
  }
  return chips.map((c) => h("span", { class: "chip" }, c));
}

// ------------------------------------------------------------------------------------------
// Jobs: filters, search by id, cursor paging (never more than one page plus a few scans)

const cursorStacks = new Map(); // filter key -> cursors of the pages before this one

function jobs(root, params) {
  const filterKey = ["state", "queue", "task"].map((k) => params.get(k) || "").join("|");
  const back = cursorStacks.get(filterKey) || [];
  cursorStacks.set(filterKey, back);
  const cursor = params.get("cursor") || "";
  const form = h("form", { class: "filters", "data-testid": "job-filters" },
    h("label", {}, "State ", h("select", { name: "state" }, h("option", { value: "" }, "any"),
      STATES.map((s) => h("option", { value: s, selected: params.get("state") === s }, s)))),
    h("label", {}, "Queue ", h("input", { name: "queue", value: params.get("queue") || "",
      size: 12 })),
    h("label", {}, "Task ", h("input", { name: "task", value: params.get("task") || "",
      size: 12 })),
    h("button", { type: "submit" }, "Filter"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const p = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v) p.set(k, String(v).trim());
    location.hash = `#/jobs?${p}`;
  });
  const search = h("form", { class: "filters", "data-testid": "job-search" },
    h("label", {}, "Job id ", h("input", { name: "id", size: 28, required: true })),
    h("button", { type: "submit" }, "Open"));
  search.addEventListener("submit", (e) => {
    e.preventDefault();
    location.hash = `#/job/${encodeURIComponent(new FormData(search).get("id").trim())}`;
  });
  const list = h("section", {});
  const pager = h("nav", { class: "pager" });
  root.append(h("h1", {}, "Jobs"), h("div", { class: "toolbar" }, form, search), list, pager);
  const go = (c) => {
    const p = new URLSearchParams(params);
    if (c) p.set("cursor", c);
    else p.delete("cursor");
    location.hash = `#/jobs?${p}`;
  };
  return {
    async update() {
      const q = new URLSearchParams();
      for (const k of ["state", "queue", "task"]) if (params.get(k)) q.set(k, params.get(k));
      q.set("limit", PAGE_SIZE);
      let page = { jobs: [] }, next = cursor, scans = 0;
      do {
        if (next) q.set("cursor", next);
        const r = await api(`/api/v1/jobs?${q}`);
        page.jobs.push(...r.jobs.slice(0, PAGE_SIZE - page.jobs.length));
        next = r.next_cursor;
        scans++;
      } while (next && page.jobs.length < PAGE_SIZE && scans < FILL_SCANS_MAX);
      put(list, JSON.stringify(page.jobs), () => table(
        ["Job", "Task", "Queue", "State", "Priority", "Attempts", "Created"],
        page.jobs.map((j) => h("tr", { "data-testid": "job-row", "data-job-id": j.job_id },
          h("td", {}, jobLink(j.job_id)), h("td", {}, j.task), h("td", {}, j.queue),
          h("td", {}, stateBadge(j.state)), h("td", { class: "num" }, j.priority),
          h("td", { class: "num" }, `${j.attempts.length} / ${j.max_attempts}`),
          h("td", {}, fmtTime(j.created_at)))), "jobs"));
      if (!performance.getEntriesByName("hourglass:jobs-rendered").length) {
        performance.mark("hourglass:jobs-rendered");
      }
      put(pager, `${cursor}|${next}|${back.length}|${page.jobs.length}`, () => [
        h("button", { disabled: !cursor, onclick: () => { back.length = 0; go(""); } }, "⇤ Newest"),
        h("button", { disabled: !cursor, onclick: () => go(back.pop() || "") }, "← Newer"),
        h("span", { class: "muted" }, `${page.jobs.length} shown`),
        h("button", { disabled: !next, "data-testid": "next-page",
          onclick: () => { back.push(cursor); go(next); } }, "Older →")]);
    },
  };
}

// ------------------------------------------------------------------------------------------
// Job detail: fields, payload, attempts, actions, DAG

function jobDetail(root, id) {
  const head = h("div", {});
  const body = h("div", {});
  const graph = h("section", { "data-testid": "graph" });
  root.append(head, h("h2", {}, "Dependencies"), graph, body);
  return {
    async update() {
      const j = await api(`/api/v1/jobs/${encodeURIComponent(id)}`);
      put(head, j.state, () => [
        h("h1", {}, "Job ", h("span", { class: "mono", "data-testid": "job-id" }, j.job_id), " ",
          h("span", { class: `badge st-${j.state}`, "data-testid": "job-state" }, j.state)),
        h("div", { class: "actions" },
          j.state === "DEAD" ? h("button", { "data-testid": "redrive", onclick: (e) =>
            act(e.target, `re-drive ${j.job_id}`, () =>
              api(`/api/v1/dlq/${encodeURIComponent(j.job_id)}/redrive`, { method: "POST" })) },
          "Re-drive") : null,
          !TERMINAL.has(j.state) ? cancelButton(j.job_id) : null)]);
      put(body, JSON.stringify(j), () => jobBody(j));
      const isDag = (j.depends_on || []).length || (j.dependents || []).length;
      if (!isDag) {
        put(graph, "none", () => h("p", { class: "muted" }, "This job is not part of a DAG."));
        return;
      }
      const g = await collectGraph(j, (x) => api(`/api/v1/jobs/${encodeURIComponent(x)}`));
      const key = [...g.nodes.values()].map((n) => n.job_id + ":" + n.state).join(",");
      put(graph, key, () => [drawGraph(g.nodes, j.job_id), g.truncated
        ? h("p", { class: "muted" }, "Graph cut at 60 jobs.") : null]);
    },
  };
}

function cancelButton(id) {
  let armed = false;
  const b = h("button", { class: "danger", "data-testid": "cancel", onclick: () => {
    if (!armed) {
      armed = true;
      b.textContent = "Confirm cancel";
      setTimeout(() => { armed = false; b.textContent = "Cancel"; }, 4000);
      return;
    }
    act(b, `cancel ${id}`, () => api(`/api/v1/jobs/${encodeURIComponent(id)}/cancel`,
      { method: "POST", body: { reason: "cancelled from the dashboard" } }));
  } }, "Cancel");
  return b;
}

function jobBody(j) {
  const row = (k, v) => [h("dt", {}, k), h("dd", {}, v ?? "–")];
  return [
    h("dl", { class: "fields" },
      row("Task", j.task), row("Queue", j.queue), row("Priority", j.priority),
      row("Generation", j.generation), row("Failures", `${j.failures} of ${j.max_attempts}`),
      row("Created", fmtTime(j.created_at)), row("Due", fmtTime(j.due_at)),
      row("Finished", fmtTime(j.finished_at)), row("Deadline", fmtTime(j.deadline)),
      row("Schedule", j.schedule_id), row("Idempotency key", j.idempotency_key),
      row("Reason", j.reason),
      row("Depends on", (j.depends_on || []).length ? j.depends_on.map(jobLink) : "–")),
    h("div", { class: "two" },
      h("div", {}, h("h2", {}, "Payload"), h("pre", { "data-testid": "payload" }, pretty(j.payload))),
      h("div", {}, h("h2", {}, "Result"), h("pre", {}, pretty(j.result)))),
    h("h2", {}, "Attempts"),
    table(["Gen.", "Worker", "Started", "Lease expires", "Ended", "Took", "Outcome", "Error"],
      j.attempts.map((a) => h("tr", { "data-testid": "attempt-row" },
        h("td", { class: "num" }, a.generation), h("td", { class: "mono" }, a.worker_id),
        h("td", {}, fmtTime(a.started_at)), h("td", {}, fmtTime(a.lease_expires_at)),
        h("td", {}, fmtTime(a.ended_at)),
        h("td", { class: "num" }, a.ended_at ? fmtDuration(a.ended_at - a.started_at) : "–"),
        h("td", {}, h("span", { class: `badge out-${a.outcome}` }, a.outcome)),
        h("td", { class: "error" }, a.error || ""))), "attempts"),
  ];
}

// ------------------------------------------------------------------------------------------
// Workers, dead letters, cluster

function workers(root) {
  const list = h("section", {});
  root.append(h("h1", {}, "Workers"), list);
  return {
    async update() {
      // The largest page: a fleet beyond 1000 workers is listed in part (hourglass workers --all).
      const { workers: ws } = await api("/api/v1/workers?limit=1000");
      list.replaceChildren(table(
        ["Worker", "Status", "Queues", "Tasks", "In flight", "Capacity", "Last heartbeat",
          "Timeout"],
        ws.map((w) => h("tr", { "data-testid": "worker-row", "data-worker-id": w.worker_id,
          class: w.alive ? "" : "dead" },
        h("td", { class: "mono" }, w.worker_id),
        h("td", {}, w.alive ? h("span", { class: "badge st-SUCCEEDED" }, "alive")
          : h("span", { class: "badge st-DEAD", "data-testid": "worker-dead" }, "dead")),
        h("td", {}, (w.queues || []).length ? w.queues.join(", ") : "all",
          Object.entries(w.reserve || {}).map(([q, n]) =>
            h("span", { class: "chip", "data-testid": "worker-reserve" }, `${q}: ${n} reserved`))),
        h("td", { "data-testid": "worker-tasks" },
          (w.tasks || []).length ? w.tasks.join(", ") : "any"),
        h("td", { class: "num" }, `${w.in_flight} `, bar(w.in_flight, w.capacity)),
        h("td", { class: "num" }, w.capacity),
        h("td", {}, fmtAge(w.last_seen_at)),
        h("td", { class: "num" }, fmtDuration(w.heartbeat_timeout_ms)))), "workers"));
    },
  };
}

function deadLetters(root) {
  const list = h("section", {});
  root.append(h("h1", {}, "Dead-letter queue"), h("p", { class: "muted" },
    "Oldest death first. Re-drive gives a job a fresh attempt budget (admin token when auth is" +
    " on); cancel ends it for good."), list);
  return {
    async update() {
      const { jobs: dead } = await api("/api/v1/dlq?limit=100");
      put(list, JSON.stringify(dead.map((j) => j.job_id)), () => table(
        ["Job", "Task", "Queue", "Failures", "Died", "Reason / last error", ""],
        dead.map((j) => h("tr", { "data-testid": "dlq-row", "data-job-id": j.job_id },
          h("td", {}, jobLink(j.job_id)), h("td", {}, j.task), h("td", {}, j.queue),
          h("td", { class: "num" }, j.failures), h("td", {}, fmtTime(j.finished_at)),
          h("td", { class: "error" }, j.reason || j.attempts.at(-1)?.error || ""),
          h("td", {}, h("div", { class: "actions" },
            h("button", { "data-testid": "redrive", onclick: (e) => act(e.target,
              `re-drive ${j.job_id}`, () => api(`/api/v1/dlq/${encodeURIComponent(j.job_id)}` +
                "/redrive", { method: "POST" })) }, "Re-drive"),
            cancelButton(j.job_id))))), "dlq"));
    },
  };
}

function cluster(root) {
  const body = h("section", {});
  root.append(h("h1", {}, "Cluster"), body);
  return {
    async update() {
      const c = await clusterStatus();
      if (!c || c.mode !== "cluster") {
        body.replaceChildren(h("p", {}, "This server runs as a single node."));
        return;
      }
      put(body, JSON.stringify(c), () => [
        h("dl", { class: "fields" }, h("dt", {}, "This node"), h("dd", {}, c.node_id),
          h("dt", {}, "Leader"), h("dd", { "data-testid": "leader" }, c.leader ?? "none"),
          h("dt", {}, "Term"), h("dd", {}, c.term), h("dt", {}, "Commit index"),
          h("dd", {}, formatNumber(c.commit_index)), h("dt", {}, "Last applied"),
          h("dd", {}, formatNumber(c.last_applied_index))),
        table(["Member", "Role", "Raft address", "Dashboard", "Match index", "Lag"],
          (c.members || []).map((m) => h("tr", { "data-testid": "member-row",
            "data-node-id": m.node_id, class: m.node_id === c.leader ? "leader" : "" },
          h("td", { class: "mono" }, m.node_id, m.node_id === c.node_id ? " (this)" : ""),
          h("td", {}, m.role ?? ""), h("td", { class: "mono" }, m.address ?? ""),
          h("td", {}, m.http ? h("a", { href: m.http }, m.http) : "–"),
          h("td", { class: "num" }, m.match_index >= 0 ? formatNumber(m.match_index) : "–"),
          h("td", { class: "num" + (m.lag > 100 ? " error" : "") }, m.lag ?? "–"))),
        "members")]);
    },
  };
}

/** The cluster status, or null while the server has no such route yet (404). */
async function clusterStatus() {
  let c = null;
  try {
    c = await api("/api/v1/cluster");
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) throw e;
  }
  clusterMode = !!c && c.mode === "cluster";
  document.getElementById("nav-cluster").hidden = !clusterMode;
  // A follower redirects API calls to the leader, which a page cannot follow across origins:
  // say where the leader's dashboard is.
  const leader = clusterMode && c.leader && c.leader !== c.node_id
    ? (c.members || []).find((m) => m.node_id === c.leader) : null;
  followerOf = leader ? leader.http || leader.node_id : null;
  return c;
}

// ------------------------------------------------------------------------------------------
// Routing and the poll loop

function route() {
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query] = hash.split("?");
  const params = new URLSearchParams(query || "");
  const parts = path.split("/").filter(Boolean);
  const name = parts[0] || "overview";
  for (const a of document.querySelectorAll("header nav a")) {
    a.classList.toggle("active", a.dataset.page === (name === "job" ? "jobs" : name));
  }
  flash.hidden = true;
  main.replaceChildren();
  const root = h("div", { "data-page": name });
  main.append(root);
  switch (name) {
    case "jobs": return jobs(root, params);
    case "job": return jobDetail(root, decodeURIComponent(parts.slice(1).join("/")));
    case "workers": return workers(root);
    case "dlq": return deadLetters(root);
    case "cluster": return cluster(root);
    default: return overview(root);
  }
}

async function refresh() {
  const seq = routeSeq;
  try {
    await view.update();
    if (seq === routeSeq) clearError();
  } catch (e) {
    if (seq === routeSeq) showError(e);
  }
}

async function tick() {
  if (!document.hidden && !dialog.open) {
    tickNo++;
    const jobs = [refresh(), sample().catch(() => {})];
    if (tickNo % 15 === 1) jobs.push(clusterStatus().catch(() => {}));
    await Promise.all(jobs);
  }
  setTimeout(tick, POLL_MILLIS);
}

window.addEventListener("hashchange", () => {
  routeSeq++;
  view = route();
  refresh();
});
view = route();
tick();
