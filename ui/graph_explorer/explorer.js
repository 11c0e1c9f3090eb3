// The graph explorer: Graphviz's SVG in a viewport with pan, zoom and fit; hovering a
// node shows its figures; clicking a folded stage or block opens it, clicking an open
// box's title folds it (sent to Python as the trigger "toggle").
// Plain DOM, no library: nothing is fetched at run time.

const memory = new Map(); // component key -> the view, kept across reruns and remounts
// Pixels per point: below READABLE the boxes' 12 pt text is under 12 px (under 17 px in
// talk mode, read from the back row), so the first view starts there; fit width never
// blows a small graph up beyond MAX_DEFAULT.
const SCALES = { normal: [1.0, 1.25], talk: [1.4, 1.8] };
const FOCUS_PAD = 36; // px kept around a box just opened: its title and the edge coming in

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let root = parentElement.querySelector(".gx-root");
  if (!root) root = build(parentElement);
  const ui = root.gx;
  ui.data = data;
  ui.trigger = setTriggerValue;
  [ui.readable, ui.maxDefault] = data.talk ? SCALES.talk : SCALES.normal;
  root.classList.toggle("gx-talk", Boolean(data.talk));
  ui.mem = memory.get(data.key) || {};
  memory.set(data.key, ui.mem);
  if (ui.svgId !== data.id) show(ui);
}

function build(parent) {
  const root = document.createElement("div");
  root.className = "gx-root";
  root.innerHTML = `
    <div class="gx-bar">
      <button type="button" data-act="in" title="Zoom in (+)">+ Zoom in</button>
      <button type="button" data-act="out" title="Zoom out (−)">− Zoom out</button>
      <button type="button" data-act="fit" title="The whole graph (0)">Fit</button>
      <button type="button" data-act="width" title="As wide as the page, from the start">Fit width</button>
      <span class="gx-hint"></span>
    </div>
    <div class="gx-view" tabindex="0" data-testid="graph-view" role="application"
      aria-label="Network graph: drag or arrow keys to move, wheel or + and − to zoom, 0 to fit">
      <div class="gx-tip" data-testid="graph-tip"></div>
      <div class="gx-tip gx-pinned" data-testid="graph-pinned"></div>
    </div>`;
  parent.appendChild(root);
  const ui = {
    root, view: root.querySelector(".gx-view"), hint: root.querySelector(".gx-hint"),
    tip: root.querySelector(".gx-tip"), pinned: root.querySelector(".gx-pinned"),
    svg: null, W: 1, H: 1, vx: 0, vy: 0, k: 1,
  };
  root.gx = ui;
  root.querySelectorAll("button[data-act]").forEach((b) => {
    b.addEventListener("click", () => {
      act(ui, b.dataset.act);
      b.blur(); // a clicked button does not stay outlined as if still active
      if (b.dataset.act === "fit") reveal(ui);
    });
  });
  listen(ui);
  return root;
}

function act(ui, what) {
  const r = size(ui);
  if (what === "in") zoomAt(ui, 1.5, r.w / 2, r.h / 2);
  else if (what === "out") zoomAt(ui, 1 / 1.5, r.w / 2, r.h / 2);
  else if (what === "fit") fitWhole(ui);
  else if (what === "width") fitWidth(ui);
}

// The tool bar and the whole view inside the window (the view is never taller than it).
function reveal(ui) {
  const r = ui.root.getBoundingClientRect();
  if (r.top < 0 || r.bottom > window.innerHeight) ui.root.scrollIntoView({ block: "nearest" });
}

function size(ui) {
  return { w: ui.view.clientWidth || 800, h: ui.view.clientHeight || 400 };
}

function apply(ui) {
  if (!ui.svg) return;
  const r = size(ui);
  ui.svg.setAttribute("viewBox", `${ui.vx} ${ui.vy} ${r.w / ui.k} ${r.h / ui.k}`);
  ui.view.dataset.scale = ui.k.toFixed(4);
  Object.assign(ui.mem, { vx: ui.vx, vy: ui.vy, k: ui.k, svgId: ui.svgId });
}

function zoomAt(ui, factor, sx, sy) {
  const r = size(ui);
  const kFit = Math.min(r.w / ui.W, r.h / ui.H);
  const k = Math.min(8, Math.max(Math.min(kFit * 0.5, 0.05), ui.k * factor));
  const gx = ui.vx + sx / ui.k, gy = ui.vy + sy / ui.k;
  ui.k = k;
  ui.vx = gx - sx / k;
  ui.vy = gy - sy / k;
  apply(ui);
}

function fitWhole(ui) {
  const r = size(ui);
  ui.k = Math.min(r.w / ui.W, r.h / ui.H) * 0.98;
  ui.vx = (ui.W - r.w / ui.k) / 2;
  ui.vy = (ui.H - r.h / ui.k) / 2;
  ui.hint.textContent = "The whole graph.";
  apply(ui);
}

// The default: as wide as the page (never larger than MAX_DEFAULT), from the top; a
// drawing so long that this makes a hairline starts readable at its beginning instead.
function fitWidth(ui) {
  const r = size(ui);
  let k = Math.min(r.w / ui.W, ui.maxDefault);
  const hairline = k < ui.readable;
  if (hairline) k = ui.readable;
  ui.k = k;
  ui.vx = ui.W * k < r.w ? (ui.W - r.w / k) / 2 : 0;
  ui.vy = ui.H * k < r.h ? (ui.H - r.h / k) / 2 : 0;
  ui.hint.textContent = hairline
    ? "Its start, at a readable size: drag to move; Fit shows the whole." : "";
  apply(ui);
}

function show(ui) {
  const data = ui.data;
  const doc = new DOMParser().parseFromString(data.svg, "image/svg+xml");
  const svg = document.importNode(doc.documentElement, true);
  if (svg.nodeName.toLowerCase() !== "svg") return;
  const vb = svg.viewBox.baseVal;
  ui.W = vb && vb.width ? vb.width : 1000;
  ui.H = vb && vb.height ? vb.height : 1000;
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  svg.setAttribute("preserveAspectRatio", "xMinYMin meet");
  svg.querySelectorAll("title").forEach((t) => t.remove()); // our tooltip, not the browser's
  svg.querySelectorAll("g.node").forEach((g) => {
    const d = data.nodes[g.id.slice(5)];
    if (d && d.action) g.classList.add("gx-open");
  });
  if (ui.svg) ui.svg.remove();
  ui.svg = svg;
  ui.view.appendChild(svg);
  ui.tip.style.display = ui.pinned.style.display = "none";
  ui.svgId = data.id;

  // Height: the drawing at page width, at most the window less the tool bar (so the bar
  // and the whole view show together, and Fit shows the whole graph on screen).
  const w = ui.view.clientWidth || 800;
  const natural = ui.H * Math.max(Math.min(w / ui.W, ui.maxDefault), ui.readable) + 8;
  const bar = ui.root.querySelector(".gx-bar").offsetHeight + 6;
  const most = Math.max(240, window.innerHeight - bar - 16);
  ui.view.style.height = `${Math.round(Math.min(Math.max(natural, 180), most))}px`;

  const m = ui.mem;
  if (m.svgId === data.id && m.k) { // the same drawing, remounted: the same view
    Object.assign(ui, { vx: m.vx, vy: m.vy, k: m.k });
    apply(ui);
  } else if (m.focus && m.at) { // after opening or folding: keep that place still
    fitWidth(ui);
    ui.k = m.k || ui.k;
    ui.vx = 0;
    ui.vy = 0;
    apply(ui);
    const el = ui.view.querySelector(`[id="box:${m.focus}"]`) ||
      ui.view.querySelector(`[id="node:${m.focus}"]`);
    if (el) {
      const box = el.getBoundingClientRect(), v = ui.view.getBoundingClientRect();
      const r = size(ui), k = ui.k, pad = FOCUS_PAD / k;
      const [x0, y0] = [(box.left - v.left) / k, (box.top - v.top) / k];
      const [bw, bh] = [box.width / k, box.height / k];
      // the clicked point stays under the pointer ...
      ui.vx = x0 + Math.min(bw, r.w / k) / 2 - m.at[0] / k;
      ui.vy = y0 + Math.min(bh, 40 / k) / 2 - m.at[1] / k;
      // ... unless that hides part of the new box: then as much of it as fits, from its start
      ui.vx = Math.min(Math.max(ui.vx, x0 + bw + pad - r.w / k), x0 - pad);
      ui.vy = Math.min(Math.max(ui.vy, y0 + bh + pad - r.h / k), y0 - pad);
      apply(ui);
    }
    m.focus = null;
    reveal(ui); // the rerun may have moved the page: the bar stays in sight
  } else {
    fitWidth(ui);
  }
  ui.view.dataset.nodes = String(svg.querySelectorAll("g.node").length);
}

function details(ui, el, key) {
  const d = ui.data.nodes[key];
  el.replaceChildren();
  if (!d) return false;
  const b = document.createElement("b");
  b.textContent = d.title;
  el.appendChild(b);
  const table = document.createElement("table");
  for (const [label, value] of d.rows) {
    const tr = table.insertRow();
    tr.insertCell().textContent = label;
    tr.insertCell().textContent = value;
  }
  el.appendChild(table);
  if (d.action) {
    const a = document.createElement("div");
    a.className = "gx-act";
    a.textContent = d.action;
    el.appendChild(a);
  }
  return true;
}

function local(ui, e) {
  const v = ui.view.getBoundingClientRect();
  return [e.clientX - v.left, e.clientY - v.top];
}

function listen(ui) {
  const view = ui.view;
  let down = null;
  view.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    down = { x: e.clientX, y: e.clientY, vx: ui.vx, vy: ui.vy, target: e.target, moved: false };
    view.setPointerCapture(e.pointerId);
  });
  view.addEventListener("pointermove", (e) => {
    if (down) {
      const dx = e.clientX - down.x, dy = e.clientY - down.y;
      if (!down.moved && Math.hypot(dx, dy) < 5) return;
      down.moved = true;
      view.classList.add("gx-dragging");
      ui.tip.style.display = "none";
      ui.vx = down.vx - dx / ui.k;
      ui.vy = down.vy - dy / ui.k;
      apply(ui);
      return;
    }
    const node = e.target.closest && e.target.closest("g.node");
    if (node && details(ui, ui.tip, node.id.slice(5))) {
      const [sx, sy] = local(ui, e);
      const r = size(ui);
      ui.tip.style.display = "block";
      ui.tip.style.left = `${Math.min(sx + 14, Math.max(0, r.w - ui.tip.offsetWidth - 4))}px`;
      ui.tip.style.top = `${sy + 14 + ui.tip.offsetHeight > r.h ? Math.max(0, sy - ui.tip.offsetHeight - 10) : sy + 14}px`;
    } else {
      ui.tip.style.display = "none";
    }
  });
  view.addEventListener("pointerleave", () => { ui.tip.style.display = "none"; });
  view.addEventListener("pointerup", (e) => {
    const d = down;
    down = null;
    view.classList.remove("gx-dragging");
    if (!d || d.moved) return;
    click(ui, d.target, local(ui, e));
  });
  view.addEventListener("wheel", (e) => {
    e.preventDefault();
    const [sx, sy] = local(ui, e);
    const dy = e.deltaMode === 1 ? e.deltaY * 40 : e.deltaY;
    zoomAt(ui, Math.exp(-dy * 0.0015), sx, sy);
  }, { passive: false });
  view.addEventListener("keydown", (e) => {
    const r = size(ui), step = 60 / ui.k;
    const keys = {
      "+": () => zoomAt(ui, 1.5, r.w / 2, r.h / 2), "=": () => zoomAt(ui, 1.5, r.w / 2, r.h / 2),
      "-": () => zoomAt(ui, 1 / 1.5, r.w / 2, r.h / 2), "0": () => fitWhole(ui),
      ArrowLeft: () => { ui.vx -= step; apply(ui); }, ArrowRight: () => { ui.vx += step; apply(ui); },
      ArrowUp: () => { ui.vy -= step; apply(ui); }, ArrowDown: () => { ui.vy += step; apply(ui); },
    };
    if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
  });
  new ResizeObserver(() => apply(ui)).observe(view);
}

function click(ui, target, at) {
  const node = target.closest && target.closest("g.node");
  const box = target.closest && target.closest("g.cluster");
  let toggle = null;
  if (node) {
    const key = node.id.slice(5);
    const d = ui.data.nodes[key];
    if (d && d.expands) toggle = d.expands;
    else if (details(ui, ui.pinned, key)) ui.pinned.style.display = "block";
  } else if (box) {
    toggle = box.id.slice(4);
  } else {
    ui.pinned.style.display = "none";
  }
  if (toggle) {
    Object.assign(ui.mem, { focus: toggle, at, k: ui.k });
    ui.trigger("toggle", toggle);
  }
}
