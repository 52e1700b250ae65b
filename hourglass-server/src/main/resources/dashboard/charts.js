// Small live charts as inline SVG, and the SVG/HTML element helpers the pages use.

const SVG_NS = "http://www.w3.org/2000/svg";

/** Creates an HTML element: h("td", {class: "x"}, "text", child, ...). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** Creates an SVG element, same shape as h. */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
}

function append(el, children) {
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/**
 * A line chart of samples [{t, v}] over the last windowMillis, with the latest value as a label.
 * Drawn fresh each time (a few hundred points at most).
 */
export function lineChart({ samples, windowMillis, now, title, unit, color, testid }) {
  const W = 320, H = 90, PAD = 4;
  const from = now - windowMillis;
  const pts = samples.filter((p) => p.t >= from && Number.isFinite(p.v));
  const max = Math.max(1e-9, ...pts.map((p) => p.v));
  const x = (t) => PAD + ((t - from) / windowMillis) * (W - 2 * PAD);
  const y = (v) => H - PAD - (v / max) * (H - 2 * PAD - 14);
  const d = pts.map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join("");
  const last = pts.length ? pts[pts.length - 1].v : null;
  const area = pts.length > 1
    ? `${d}L${x(pts[pts.length - 1].t).toFixed(1)},${H - PAD}L${x(pts[0].t).toFixed(1)},${H - PAD}Z`
    : "";
  return h("figure", { class: "chart", "data-testid": testid },
    h("figcaption", {}, title, " ",
      h("strong", {}, last === null ? "–" : `${formatNumber(last)} ${unit}`)),
    s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title },
      s("line", { x1: PAD, x2: W - PAD, y1: H - PAD, y2: H - PAD, class: "axis" }),
      area ? s("path", { d: area, fill: color, "fill-opacity": 0.15, stroke: "none" }) : null,
      d ? s("path", { d, fill: "none", stroke: color, "stroke-width": 1.5 }) : null,
      s("text", { x: W - PAD, y: 12, "text-anchor": "end", class: "chart-max" },
        `max ${formatNumber(max < 1e-6 ? 0 : max)}`),
      pts.length < 2 ? s("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "muted" },
        "collecting samples…") : null));
}

/** A horizontal bar, as a share of max. */
export function bar(value, max, cls = "") {
  const pct = max > 0 ? Math.max(value > 0 ? 2 : 0, Math.round((value / max) * 100)) : 0;
  return h("span", { class: "bar " + cls }, h("span", { style: `width:${pct}%` }));
}

export function formatNumber(n) {
  if (n === null || n === undefined) return "–";
  if (Math.abs(n) >= 100 || Number.isInteger(n)) return Math.round(n).toLocaleString("en-US");
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}
