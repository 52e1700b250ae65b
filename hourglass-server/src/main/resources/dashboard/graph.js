// A job's DAG: collected by walking depends_on and dependents from one job (bounded), laid out
// in layers by longest path from the roots, drawn as SVG with each node coloured by its state.

import { s } from "./charts.js";
import { ApiError } from "./api.js";

/** Why: a page must stay quick; a DAG bigger than this is drawn in part, and says so. */
export const GRAPH_NODES_MAX = 60;

/**
 * Fetches the connected DAG around rootId, level by level, at most GRAPH_NODES_MAX jobs.
 * Resolves to {nodes: Map<id, job|{job_id, state: "GONE"}>, truncated}.
 */
export async function collectGraph(root, fetchJob) {
  const nodes = new Map([[root.job_id, root]]);
  let frontier = [root];
  let truncated = false;
  while (frontier.length) {
    const next = [];
    for (const j of frontier) {
      for (const id of [...(j.depends_on || []), ...(j.dependents || [])]) {
        if (nodes.has(id) || next.includes(id)) continue;
        if (nodes.size + next.length >= GRAPH_NODES_MAX) {
          truncated = true;
          continue;
        }
        next.push(id);
      }
    }
    const fetched = await Promise.all(next.map((id) => fetchJob(id).catch((e) => {
      if (e instanceof ApiError && e.status === 404) return { job_id: id, state: "GONE" };
      throw e;
    })));
    fetched.forEach((j) => nodes.set(j.job_id, j));
    frontier = fetched;
  }
  return { nodes, truncated };
}

/** Layers by longest path from a root; order in a layer by the mean position of parents. */
export function layout(nodes) {
  const parents = new Map();
  for (const [id, j] of nodes) parents.set(id, (j.depends_on || []).filter((p) => nodes.has(p)));
  const layer = new Map();
  const depth = (id, seen = new Set()) => {
    if (layer.has(id)) return layer.get(id);
    if (seen.has(id)) return 0; // never for a DAG the server accepted; guards a bad answer
    seen.add(id);
    const d = Math.max(-1, ...parents.get(id).map((p) => depth(p, seen))) + 1;
    layer.set(id, d);
    return d;
  };
  for (const id of nodes.keys()) depth(id);
  const layers = [];
  for (const [id, d] of layer) (layers[d] ||= []).push(id);
  const pos = new Map();
  layers.forEach((ids, d) => {
    const key = (id) => {
      const ps = parents.get(id).map((p) => pos.get(p)?.row ?? 0);
      return ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : 0;
    };
    ids.sort((a, b) => key(a) - key(b) || a.localeCompare(b));
    ids.forEach((id, row) => pos.set(id, { col: d, row }));
  });
  const edges = [];
  for (const [id, ps] of parents) for (const p of ps) edges.push([p, id]);
  return { pos, edges, cols: layers.length, rows: Math.max(1, ...layers.map((l) => l.length)) };
}

const NODE_W = 168, NODE_H = 46, GAP_X = 56, GAP_Y = 18, PAD = 10;

/** The SVG for nodes (from collectGraph), with currentId outlined. */
export function drawGraph(nodes, currentId) {
  const { pos, edges, cols, rows } = layout(nodes);
  const W = PAD * 2 + cols * NODE_W + (cols - 1) * GAP_X;
  const H = PAD * 2 + rows * NODE_H + (rows - 1) * GAP_Y;
  const at = (id) => {
    const p = pos.get(id);
    return { x: PAD + p.col * (NODE_W + GAP_X), y: PAD + p.row * (NODE_H + GAP_Y) };
  };
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: "dag",
    "data-testid": "dag", role: "img", "aria-label": "job dependency graph" },
  s("defs", {}, s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5,
    markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
  s("path", { d: "M0,0L10,5L0,10z", class: "dag-arrow" }))));
  for (const [from, to] of edges) {
    const a = at(from), b = at(to);
    const x1 = a.x + NODE_W, y1 = a.y + NODE_H / 2, x2 = b.x, y2 = b.y + NODE_H / 2;
    const mx = (x1 + x2) / 2;
    svg.append(s("path", { d: `M${x1},${y1}C${mx},${y1} ${mx},${y2} ${x2 - 2},${y2}`,
      class: "dag-edge", "marker-end": "url(#arrow)", "data-testid": "dag-edge" }));
  }
  for (const [id, j] of nodes) {
    const { x, y } = at(id);
    const label = j.task ? j.task : "(evicted)";
    svg.append(s("a", { href: `#/job/${encodeURIComponent(id)}`, "data-testid": "dag-node",
      "data-job-id": id, "data-state": j.state, class: "dag-node" },
    s("title", {}, `${id} · ${j.state}`),
    s("rect", { x, y, width: NODE_W, height: NODE_H, rx: 6,
      class: `st-${j.state}` + (id === currentId ? " current" : "") }),
    s("text", { x: x + 8, y: y + 18, class: "dag-task" }, clip(label, 20)),
    s("text", { x: x + 8, y: y + 36, class: "dag-sub" }, `${clip(id, 14)} · ${j.state}`)));
  }
  return svg;
}

function clip(text, n) {
  return text.length > n ? text.slice(0, n - 1) + "…" : text;
}
