// The graph explorer: Graphviz's SVG in a viewport with pan, zoom and fit; hovering a
// node shows its figures; clicking a folded stage or block opens it, clicking an open
// box's title folds it (sent to Python as the trigger "toggle"). The wheel scrolls the
// page until the graph is clicked (as a map embedded in a page does), then zooms; a
// click outside the graph gives the wheel back to the page. A drawing too long to show
// whole with readable text has an overview strip (the whole graph, where the view is)
// to click or drag. Plain DOM, no library: nothing is fetched at run time.

const memory = new Map(); // component key -> the view, kept across reruns and remounts
// Screen px of the drawing's smallest text (the boxes' labels): the first view shows it
// at READ (17 px in talk mode, read from the back row); fit width never blows a small
// graph up beyond LARGEST; no zoom and no Fit takes it below SMALLEST, where a graph too
// long to show whole shows the overview strip instead.
const TEXT_PX = { normal: { read: 14, largest: 15, smallest: 8 },
  talk: { read: 17, largest: 21.6, smallest: 8 } };
const FOCUS_PAD = 36; // px kept around a box just opened: its title and the edge coming in
const MIN_HEIGHT = 240; // px: the view is never shorter, even where the window has less
const BELOW = 12; // px between the view's bottom and the window's
const MAP_MOST = 150; // px: the overview strip's width (height, under a wide drawing)
// px: the strip is at least this wide beside a tall drawing (high above a wide one), to
// aim at and to name the stages in
const MAP_LEAST = [64, 28];

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let root = parentElement.querySelector(".gx-root");
  if (!root) root = build(parentElement);
  const ui = root.gx;
  ui.data = data;
  ui.trigger = setTriggerValue;
  ui.textPx = data.talk ? TEXT_PX.talk : TEXT_PX.normal;
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
      <span class="gx-hint" data-testid="graph-hint"></span>
    </div>
    <div class="gx-view" tabindex="0" data-testid="graph-view" role="application"
      aria-label="Network graph: click it, then drag or arrow keys to move, wheel or + and − to zoom, 0 to fit">
      <div class="gx-tip" data-testid="graph-tip"></div>
      <div class="gx-tip gx-pinned" data-testid="graph-pinned"></div>
      <div class="gx-map" data-testid="graph-map" title="The whole graph: click or drag to move there">
        <img alt="" draggable="false"><div class="gx-port"></div>
      </div>
      <div class="gx-note" data-testid="graph-note" aria-live="polite"></div>
    </div>`;
  parent.appendChild(root);
  const ui = {
    root, view: root.querySelector(".gx-view"), hint: root.querySelector(".gx-hint"),
    tip: root.querySelector(".gx-tip"), pinned: root.querySelector(".gx-pinned"),
    map: root.querySelector(".gx-map"), mapImg: root.querySelector(".gx-map img"),
    port: root.querySelector(".gx-port"), note: root.querySelector(".gx-note"),
    svg: null, W: 1, H: 1, vx: 0, vy: 0, k: 1, fontPt: 12, active: false,
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

// Scales (screen px per drawing unit) that show the smallest text at these sizes.
const scaleFor = (ui, px) => px / ui.fontPt;

// One axis of the view, in drawing units: a drawing that fits stays wholly inside; a
// larger one keeps the view on it (with a little slack), so no drag loses it.
function clampAxis(v, drawing, span, slack) {
  if (drawing <= span) return Math.min(Math.max(v, drawing - span), 0);
  return Math.min(Math.max(v, -slack), drawing - span + slack);
}

function apply(ui) {
  if (!ui.svg) return;
  const r = size(ui);
  const slack = FOCUS_PAD / ui.k;
  ui.vx = clampAxis(ui.vx, ui.W, r.w / ui.k, slack);
  ui.vy = clampAxis(ui.vy, ui.H, r.h / ui.k, slack);
  ui.svg.setAttribute("viewBox", `${ui.vx} ${ui.vy} ${r.w / ui.k} ${r.h / ui.k}`);
  ui.view.dataset.scale = ui.k.toFixed(4);
  ui.view.dataset.textPx = (ui.k * ui.fontPt).toFixed(2);
  Object.assign(ui.mem, { vx: ui.vx, vy: ui.vy, k: ui.k, svgId: ui.svgId });
  overview(ui);
}

// The overview strip: the whole drawing, and a box where the view is. Shown only when
// the view does not hold all of the drawing; beside a tall one, above a wide one.
function overview(ui) {
  const r = size(ui);
  const whole = ui.W * ui.k <= r.w + 1 && ui.H * ui.k <= r.h + 1;
  ui.map.style.display = whole ? "none" : "block";
  ui.view.dataset.overview = whole ? "" : "shown";
  if (whole) return;
  const tall = ui.H / ui.W >= r.h / r.w;
  const room = tall ? [Math.min(MAP_MOST, r.w / 4), r.h - 16]
    : [r.w - 16, Math.min(MAP_MOST * 0.6, r.h / 4)];
  const m = Math.min(room[0] / ui.W, room[1] / ui.H);
  // a hairline of a drawing sits in the middle of a strip wide enough to aim at
  const mw = Math.max(tall ? MAP_LEAST[0] : 0, ui.W * m);
  const mh = Math.max(tall ? 0 : MAP_LEAST[1], ui.H * m);
  ui.mapAt = { m, x: (mw - ui.W * m) / 2, y: (mh - ui.H * m) / 2 };
  Object.assign(ui.map.style, { width: `${mw}px`, height: `${mh}px`,
    left: tall ? "" : "8px", right: tall ? "8px" : "" });
  ui.map.classList.toggle("gx-map-wide", !tall);
  const a = ui.mapAt;
  marks(ui, tall);
  Object.assign(ui.port.style, { left: `${a.x + ui.vx * m}px`, top: `${a.y + ui.vy * m}px`,
    width: `${(r.w / ui.k) * m}px`, height: `${(r.h / ui.k) * m}px` });
}

// Where each stage starts along the strip, named beside it: a long drawing's strip is a
// hairline, and these say what part of the network the view is in.
function marks(ui, tall) {
  const key = `${ui.svgId} ${tall} ${ui.mapAt.m}`;
  if (ui.marksKey === key) return;
  ui.marksKey = key;
  ui.map.querySelectorAll(".gx-mark").forEach((e) => e.remove());
  const a = ui.mapAt, svg = ui.svg.getBoundingClientRect();
  let last = -Infinity;
  for (const g of ui.svg.querySelectorAll("g.cluster, g.node")) {
    const name = g.id.replace(/^(box|node):/, "");
    if (!/^(stem|head|stage\d+)$/.test(name)) continue;
    // its start in drawing units, from where it is drawn now
    const b = g.getBoundingClientRect();
    const at = tall ? a.y + (ui.vy + (b.top - svg.top) / ui.k) * a.m
      : a.x + (ui.vx + (b.left - svg.left) / ui.k) * a.m;
    if (at - last < (tall ? 16 : 48)) continue; // no label over the one before
    last = at;
    const mark = document.createElement("div");
    mark.className = "gx-mark";
    mark.textContent = name;
    mark.style[tall ? "top" : "left"] = `${at}px`;
    ui.map.appendChild(mark);
  }
}

// A point of the strip: the view centred there.
function moveToMap(ui, e) {
  const box = ui.map.getBoundingClientRect(), r = size(ui), a = ui.mapAt;
  if (!a) return;
  ui.vx = (e.clientX - box.left - a.x) / a.m - r.w / ui.k / 2;
  ui.vy = (e.clientY - box.top - a.y) / a.m - r.h / ui.k / 2;
  apply(ui);
}

function zoomAt(ui, factor, sx, sy) {
  const k = Math.min(8, Math.max(scaleFor(ui, ui.textPx.smallest), ui.k * factor));
  const gx = ui.vx + sx / ui.k, gy = ui.vy + sy / ui.k;
  ui.k = k;
  ui.vx = gx - sx / k;
  ui.vy = gy - sy / k;
  apply(ui);
}

// The whole graph; one too long for that with readable text: as much of it as the
// smallest readable text shows, from its start, and the overview strip for the rest.
function fitWhole(ui) {
  const r = size(ui);
  const whole = Math.min(r.w / ui.W, r.h / ui.H) * 0.98;
  const least = scaleFor(ui, ui.textPx.smallest);
  ui.k = Math.max(whole, least);
  ui.vx = (ui.W - r.w / ui.k) / 2;
  ui.vy = whole < least && ui.H * ui.k > r.h ? 0 : (ui.H - r.h / ui.k) / 2;
  if (whole < least && ui.W * ui.k > r.w) ui.vx = 0;
  apply(ui);
  ui.hint.textContent = whole >= least ? "The whole graph."
    : `Too long to show whole with readable text: the strip ${strip(ui)} is all of it; click or drag there to move.`;
}

const strip = (ui) => (ui.map.classList.contains("gx-map-wide") ? "at the top" : "at the right");

// The default: as wide as the page (never larger than LARGEST text), from the top; a
// drawing so long that this makes a hairline starts readable at its beginning instead.
function fitWidth(ui) {
  const r = size(ui);
  const read = scaleFor(ui, ui.textPx.read);
  let k = Math.min(r.w / ui.W, scaleFor(ui, ui.textPx.largest));
  const hairline = k < read;
  if (hairline) k = read;
  ui.k = k;
  ui.vx = ui.W * k < r.w ? (ui.W - r.w / k) / 2 : 0;
  ui.vy = ui.H * k < r.h ? (ui.H - r.h / k) / 2 : 0;
  apply(ui);
  ui.hint.textContent = hairline
    ? `Its start, at a readable size: drag to move, or click the strip ${strip(ui)}.` : "";
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
  const sizes = [...svg.querySelectorAll("text[font-size]")]
    .map((t) => parseFloat(t.getAttribute("font-size"))).filter((v) => v > 0);
  ui.fontPt = sizes.length ? Math.min(...sizes) : 12;
  svg.querySelectorAll("g.node").forEach((g) => {
    const d = data.nodes[g.id.slice(5)];
    if (d && d.action) g.classList.add("gx-open");
  });
  if (ui.svg) ui.svg.remove();
  ui.svg = svg;
  ui.view.appendChild(svg);
  ui.tip.style.display = ui.pinned.style.display = "none";
  ui.svgId = data.id;
  if (ui.mapUrl) URL.revokeObjectURL(ui.mapUrl);
  ui.mapUrl = URL.createObjectURL(new Blob([data.svg], { type: "image/svg+xml" }));
  ui.mapImg.src = ui.mapUrl;
  fitHeight(ui);

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

// The element whose scrolling moves the page (Streamlit's main column), or none (the
// window). The component may sit in a shadow root: its host is the way up.
function scroller(el) {
  for (let e = el.parentElement || el.getRootNode().host; e;
    e = e.parentElement || (e.getRootNode && e.getRootNode().host)) {
    if (/(auto|scroll)/.test(getComputedStyle(e).overflowY) && e.scrollHeight > e.clientHeight) {
      return e;
    }
  }
  return null;
}

// Height: the drawing at its first scale, at most what the window has below the view's
// top with the page scrolled to its start (the whole box in sight), never under
// MIN_HEIGHT.
function fitHeight(ui) {
  const w = ui.view.clientWidth || 800;
  const k = Math.max(Math.min(w / ui.W, scaleFor(ui, ui.textPx.largest)),
    scaleFor(ui, ui.textPx.read));
  const natural = ui.H * k + 8;
  const s = scroller(ui.view);
  const top = ui.view.getBoundingClientRect().top + (s ? s.scrollTop : window.scrollY);
  const room = Math.max(MIN_HEIGHT, window.innerHeight - top - BELOW);
  ui.view.style.height = `${Math.round(Math.min(Math.max(natural, 180), room))}px`;
}

// The wheel belongs to the graph after a click in it, to the page after a click outside.
function setActive(ui, on) {
  ui.active = on;
  ui.view.classList.toggle("gx-active", on);
  ui.view.dataset.active = on ? "yes" : "";
  if (on) ui.note.classList.remove("gx-show");
}

function nudge(ui) {
  ui.note.textContent = "Click the graph to zoom with the wheel";
  ui.note.classList.add("gx-show");
  clearTimeout(ui.noteTimer);
  ui.noteTimer = setTimeout(() => ui.note.classList.remove("gx-show"), 1400);
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
    setActive(ui, true);
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
    if (!ui.active && !e.ctrlKey) { // the page scrolls, as past any map in a page
      nudge(ui);
      return;
    }
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
      Escape: () => setActive(ui, false),
    };
    if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
  });
  new ResizeObserver(() => apply(ui)).observe(view);
  // a hint that wraps the tool bar moves the view down: it shrinks to stay in the window
  new ResizeObserver(() => { if (ui.svg) fitHeight(ui); })
    .observe(ui.root.querySelector(".gx-bar"));

  let mapDown = false;
  ui.map.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    e.stopPropagation(); // not a drag of the drawing
    setActive(ui, true);
    mapDown = true;
    ui.map.setPointerCapture(e.pointerId);
    moveToMap(ui, e);
  });
  ui.map.addEventListener("pointermove", (e) => {
    if (mapDown) { e.stopPropagation(); moveToMap(ui, e); }
  });
  ui.map.addEventListener("pointerup", (e) => { e.stopPropagation(); mapDown = false; });

  // A press anywhere else on the page gives the wheel back to it.
  const outside = (e) => {
    if (!ui.root.isConnected) {
      document.removeEventListener("pointerdown", outside, true);
      window.removeEventListener("resize", resized);
      return;
    }
    if (ui.active && !e.composedPath().includes(ui.root)) setActive(ui, false);
  };
  const resized = () => { if (ui.svg) { fitHeight(ui); apply(ui); } };
  document.addEventListener("pointerdown", outside, true);
  window.addEventListener("resize", resized);
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
