/* guildlike view: the pages over the JSON endpoints (or, in an exported file, over the data it holds).
   Plain JavaScript, no build step. Routes: #/runs, #/run/ID, #/pipeline/ID, #/compare?run=..|batch=.., #/diff?a=..&b=.. */
"use strict";

const EXPORT = window.GUILDLIKE_DATA || null;
const PAGE = 50;
const STATUSES = ["running", "completed", "error", "terminated", "staged", "pending"];
let timers = [];   // polls of the page shown, stopped when the route changes
let charts = [];   // uPlot charts of the page shown, destroyed with it

// ---- small helpers

function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids.flat()) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

function svg(tag, attrs, ...kids) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  for (const kid of kids.flat()) if (kid) el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  return el;
}

function put(el, ...kids) {
  el.replaceChildren(...kids.flat().filter((k) => k !== null && k !== undefined && k !== false));
}

const short = (id) => (id || "").slice(0, 8);
const pad = (n) => String(n).padStart(2, "0");

function fmtTime(ms) {
  if (!ms) return "";
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function fmtDuration(a, b) {
  if (!a) return "";
  const s = Math.max(0, Math.round(((b || Date.now()) - a) / 1000));
  return `${Math.floor(s / 3600)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}

function fmtVal(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(+v.toPrecision(6));
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

const num = (v) => (typeof v === "number" && isFinite(v) ? v : null);
const badge = (status, extra) => h("span", { class: `badge ${status || ""} ${extra || ""}` }, status || "?");
const runLink = (id, text) => h("a", { href: `#/run/${id}` }, text || short(id));

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/runs";
  const [path, query] = raw.split("?");
  return { parts: path.split("/").filter(Boolean), params: new URLSearchParams(query || "") };
}

function color(i, n) {
  const base = ["#2f6fde", "#d64545", "#1f9d55", "#e08a1e", "#8e44ad", "#16a2b8", "#c0392b", "#7f8c8d", "#d35400", "#2c3e50"];
  return n <= base.length ? base[i % base.length] : `hsl(${Math.round((360 * i) / n)},65%,45%)`;
}

// ---- data: the server, or the exported file's data

async function api(path) {
  if (EXPORT) return exported(path);
  const resp = await fetch(path);
  const body = await resp.json();
  if (!resp.ok) throw new Error(body.error || resp.statusText);
  return body;
}

function exported(path) {
  const [p, query] = path.split("?");
  const q = new URLSearchParams(query || "");
  const parts = p.split("/").filter(Boolean);
  const need = (v, what) => { if (v === undefined) throw new Error(`${what} is not in this exported file`); return v; };
  if (p === "/api/runs") return exportedRuns(q);
  if (parts[1] === "runs") {
    const id = parts[2];
    const kind = parts[3] || "run";
    return need((EXPORT[kind] || {})[id], `the ${kind} of run ${short(id)}`);
  }
  if (p === "/api/series") {
    const series = q.get("run").split(",").map((id) => ({ run: id, points: (need(EXPORT.series[id], `the series of ${short(id)}`))[q.get("key")] || [] }));
    return { key: q.get("key"), series };
  }
  if (p === "/api/compare") {
    const want = (q.get("run") || "").split(",").sort().join(",");
    const table = EXPORT.compare[q.get("skip_unchanged") === "1" ? "skip" : "all"];
    return need(table && [...table.ids].sort().join(",") === want ? table : undefined, "this comparison (compare every run of the file)");
  }
  if (parts[1] === "pipeline") return need((EXPORT.pipeline[parts[2]] || {})[q.get("needed") === "0" ? "0" : "1"], "this pipeline");
  if (p === "/api/diff") return need(EXPORT.diff && EXPORT.diff.a.id === q.get("a") && EXPORT.diff.b.id === q.get("b") ? EXPORT.diff : undefined, "this diff");
  throw new Error(`${p} is not in this exported file`);
}

function exportedRuns(q) {
  const words = (q.get("q") || "").toLowerCase().split(/\s+/).filter(Boolean);
  const statuses = (q.get("status") || "").split(",").filter(Boolean);
  const op = q.get("op"), label = q.get("label"), tag = q.get("tag");
  const rows = EXPORT.runs.filter((r) => {
    const text = [r.id, r.operation, r.label, ...(r.tags || [])].join(" ").toLowerCase();
    return words.every((w) => text.includes(w)) && (!statuses.length || statuses.includes(r.status))
      && (!op || r.operation.includes(op)) && (!label || (r.label || "").includes(label)) && (!tag || (r.tags || []).includes(tag));
  });
  const offset = +(q.get("offset") || 0), limit = +(q.get("limit") || PAGE);
  return { offset, limit, total: rows.length, more: offset + limit < rows.length, runs: rows.slice(offset, offset + limit) };
}

// ---- routing

function every(ms, fn) { timers.push(setInterval(fn, ms)); }

async function route() {
  timers.forEach(clearInterval);
  timers = [];
  charts.forEach((c) => c.destroy());
  charts = [];
  const app = document.getElementById("app");
  const { parts, params } = parseHash();
  const pages = { runs: runsPage, run: runPage, pipeline: pipelinePage, compare: comparePage, diff: diffPage };
  const page = pages[parts[0]] || runsPage;
  put(app, h("p", { class: "muted" }, "Loading…"));
  try {
    await page(app, parts.slice(1), params);
  } catch (e) {
    put(app, h("div", { class: "error-box", id: "error" }, e.message));
  }
}

// ---- runs

function runsQuery(params, offset) {
  const q = new URLSearchParams();
  for (const k of ["q", "op", "label", "tag", "status", "started"]) if (params.get(k)) q.set(k, params.get(k));
  q.set("offset", offset);
  q.set("limit", PAGE);
  return q;
}

function filterBar(params) {
  const field = (name, placeholder, type) => h("input", { type: type || "text", name, placeholder, value: params.get(name) || "" });
  const chosen = (params.get("status") || "").split(",");
  const form = h("form", { class: "filters", id: "filters" },
    field("q", "Search id, operation, label, tag", "search"), field("op", "Operation"), field("label", "Label"),
    field("tag", "Tag"), field("started", "Started (e.g. last 2 hours)"),
    STATUSES.map((s) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "status", value: s, checked: chosen.includes(s) }), s)),
    h("button", { type: "submit", class: "primary" }, "Filter"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const el of form.querySelectorAll("input[type=text], input[type=search]")) if (el.value.trim()) q.set(el.name, el.value.trim());
    const sts = [...form.querySelectorAll("input[name=status]:checked")].map((el) => el.value);
    if (sts.length) q.set("status", sts.join(","));
    location.hash = `#/runs?${q}`;
  });
  return form;
}

function runRow(r, selected, onSelect) {
  const step = r.step !== null && r.step !== undefined ? `step ${r.step} · ` : "";
  const progress = r.status === "running" ? `${step}${fmtDuration(r.started)}` : "";
  return h("tr", { "data-id": r.id, "data-status": r.status },
    h("td", {}, h("input", { type: "checkbox", checked: selected.has(r.id), onchange: (ev) => onSelect(r.id, ev.target.checked) })),
    h("td", { class: "mono" }, runLink(r.id)),
    h("td", {}, r.operation),
    h("td", {}, fmtTime(r.started)),
    h("td", { class: "status" }, badge(r.status)),
    h("td", { class: "progress muted" }, progress),
    h("td", { class: "label" }, r.label, (r.tags || []).map((t) => [" ", h("span", { class: "badge light" }, t)])));
}

async function runsPage(app, _parts, params) {
  const offset = +(params.get("offset") || 0);
  const selected = new Set();
  const body = h("tbody");
  const info = h("span", { class: "muted", id: "count" });
  const compareBtn = h("button", { class: "primary", disabled: true, onclick: () => { location.hash = `#/compare?run=${[...selected].join(",")}`; } }, "Compare");
  const diffBtn = h("button", { disabled: true, onclick: () => { const [a, b] = [...selected]; location.hash = `#/diff?a=${a}&b=${b}`; } }, "Diff");
  const onSelect = (id, on) => {
    on ? selected.add(id) : selected.delete(id);
    compareBtn.disabled = selected.size < 1;
    compareBtn.textContent = selected.size ? `Compare ${selected.size}` : "Compare";
    diffBtn.disabled = selected.size !== 2;
  };
  const pageLink = (o, text, on) => h("button", { disabled: !on, onclick: () => { params.set("offset", o); location.hash = `#/runs?${params}`; } }, text);
  const pager = h("div", { class: "pager" });
  let data = await api(`/api/runs?${runsQuery(params, offset)}`);
  const draw = () => {
    body.replaceChildren(...data.runs.map((r) => runRow(r, selected, onSelect)));
    const last = offset + data.runs.length;
    info.textContent = data.runs.length ? `${offset + 1}–${last} of ${data.total === null ? "many" : data.total} runs` : "no runs";
    pager.replaceChildren(pageLink(Math.max(0, offset - PAGE), "← Newer", offset > 0), pageLink(offset + PAGE, "Older →", data.more), info);
  };
  draw();
  put(app, h("h1", {}, "Runs"), filterBar(params),
    h("div", { class: "card" },
      h("div", { class: "controls" }, compareBtn, diffBtn, h("span", { class: "muted" }, "select runs to compare or diff")),
      h("table", { class: "runs", id: "runs" },
        h("thead", {}, h("tr", {}, ["", "Run", "Operation", "Started", "Status", "Progress", "Label"].map((t) => h("th", {}, t)))), body),
      pager));
  if (!EXPORT) every(2000, async () => {
    if (!data.runs.some((r) => r.status === "running")) return;
    data = await api(`/api/runs?${runsQuery(params, offset)}`);
    draw();
  });
}

// ---- one run

function kvTable(rows) {
  return h("table", { class: "kv" }, rows.filter((r) => r[1] !== "" && r[1] !== null && r[1] !== undefined)
    .map(([k, v]) => h("tr", {}, h("td", {}, k), h("td", {}, v instanceof Node ? v : fmtVal(v)))));
}

function sparkline(points) {
  const vals = points.map((p) => num(p[1])).filter((v) => v !== null);
  if (vals.length < 2) return h("span", { class: "muted" }, vals.length ? "" : "—");
  const w = 120, hgt = 24, lo = Math.min(...vals), hi = Math.max(...vals), span = hi - lo || 1;
  const pts = vals.map((v, i) => `${((i / (vals.length - 1)) * w).toFixed(1)},${(hgt - 2 - ((v - lo) / span) * (hgt - 4)).toFixed(1)}`);
  return svg("svg", { width: w, height: hgt, class: "spark" }, svg("polyline", { points: pts.join(" "), fill: "none", stroke: "#2f6fde", "stroke-width": 1.5 }));
}

function lineChart(el, names, tables, opts) {
  // tables: one [xs, ys] per series; uPlot.join aligns them on one x axis.
  const data = tables.length === 1 ? tables[0] : uPlot.join(tables);
  const few = data[0].length <= 30;
  const width = Math.max(300, el.clientWidth || 600);
  const chart = new uPlot({
    width, height: (opts && opts.height) || 260, scales: { x: { time: false } },
    legend: { show: names.length <= 12 },
    series: [{ label: "step" }, ...names.map((n, i) => ({ label: n, stroke: color(i, names.length), width: 1.5, spanGaps: true, points: { show: few } }))],
  }, data, el);
  el.dataset.series = String(chart.series.length - 1);
  charts.push(chart);
  return chart;
}

function xy(points) {
  return [points.map((p) => p[0]), points.map((p) => num(p[1]))];
}

function scalarsCard(run, series, chosen) {
  const chartEl = h("div", { class: "chart", id: "run-chart" });
  const show = (key) => {
    card.dataset.key = key;
    charts.forEach((c) => c.destroy());
    charts = [];
    chartEl.replaceChildren(h("div", { class: "muted" }, key));
    if (series[key]) lineChart(chartEl, [key], [xy(series[key])]);
  };
  const keys = Object.keys(run.scalars);
  const rows = keys.map((k) => {
    const s = run.scalars[k];
    return h("tr", {}, h("td", {}, h("a", { href: "javascript:void 0", onclick: () => show(k) }, k)),
      h("td", { class: "num" }, fmtVal(s.last)), h("td", { class: "num" }, fmtVal(s.step)), h("td", { class: "num" }, fmtVal(s.min)),
      h("td", { class: "num" }, fmtVal(s.max)), h("td", { class: "num" }, fmtVal(s.count)), h("td", {}, sparkline(series[k] || [])));
  });
  const card = h("div", { class: "card" }, h("h2", {}, "Scalars"),
    keys.length ? h("table", { id: "scalars" }, h("thead", {}, h("tr", {}, ["key", "last", "step", "min", "max", "count", ""].map((t, i) => h("th", { class: i && i < 6 ? "num" : "" }, t)))), h("tbody", {}, rows))
      : h("p", { class: "muted" }, "No scalars."), chartEl);
  if (keys.length) setTimeout(() => show(keys.includes(chosen) ? chosen : keys.find((k) => (series[k] || []).length > 1) || keys[0]), 0);
  return card;
}

function attemptsCard(run) {
  const rows = (run.attempts || []).map((a) => h("tr", {}, h("td", {}, a.number), h("td", {}, a.start_time || ""), h("td", {}, a.end_time || ""),
    h("td", {}, badge(a.status)), h("td", {}, fmtVal(a.exit_code ?? a.exit_status)), h("td", {}, fmtVal(a.trigger && (a.trigger.kind || a.trigger))),
    h("td", { class: "mono" }, a.code ? `${(a.code.commit || "").slice(0, 8)}${a.code.dirty ? " (dirty)" : ""}` : "")));
  return h("div", { class: "card" }, h("h2", {}, `Attempts (${run.restarts} restart${run.restarts === 1 ? "" : "s"})`),
    rows.length ? h("table", { id: "attempts" }, h("thead", {}, h("tr", {}, ["#", "started", "stopped", "status", "exit", "trigger", "code"].map((t) => h("th", {}, t)))), h("tbody", {}, rows))
      : h("p", { class: "muted" }, "No attempts recorded."));
}

function linksCard(run) {
  const row = (d, first) => h("tr", {}, h("td", {}, first), h("td", { class: "mono" }, d.exists ? runLink(d.id) : short(d.id) || "—"),
    h("td", {}, d.operation || ""), h("td", {}, d.exists ? badge(d.status) : h("span", { class: "muted" }, "missing")));
  const deps = (run.deps || []).map((d) => row(d, d.resource));
  const links = (run.links || []).map((d) => row(d, d.name));
  if (!deps.length && !links.length) return null;
  return h("div", { class: "card", id: "deps" }, h("h2", {}, "Dependencies and linked runs"),
    h("table", {}, h("tbody", {}, deps, links)));
}

function fileTree(run, files) {
  const rows = files.files.map((f) => {
    const depth = f.path.split("/").length - 1;
    const name = f.path.split("/").pop();
    const target = f.run ? runLink(f.run, `${name} → ${short(f.run)}`) : f.dir ? `${name}/`
      : EXPORT ? name : h("a", { href: `/api/runs/${run.id}/file?path=${encodeURIComponent(f.path)}&download=1` }, name);
    return h("tr", {}, h("td", { style: `padding-left:${8 + depth * 16}px` }, target), h("td", { class: "num muted" }, f.size === undefined || f.size === null ? "" : `${f.size.toLocaleString()} B`));
  });
  return h("div", { class: "card" }, h("h2", {}, "Files"), rows.length ? h("div", { class: "scroll" }, h("table", { id: "files" }, h("tbody", {}, rows)))
    : h("p", { class: "muted" }, "No files."), files.truncated ? h("p", { class: "muted" }, "(only the first files are listed)") : null);
}

function outputCard(run) {
  const pre = h("pre", { class: "output", id: "output" });
  const state = h("span", { class: "muted" });
  const empty = h("p", { class: "muted", style: "display:none" }, "No output.");
  let next = 0;
  const more = async () => {
    const chunk = await api(`/api/runs/${run.id}/output?offset=${next}`);
    const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    if (chunk.text) pre.append(chunk.text);
    next = chunk.next;
    if (atEnd) pre.scrollTop = pre.scrollHeight;
    state.textContent = chunk.status === "running" ? " following…" : "";
    pre.style.display = next || chunk.status === "running" ? "" : "none";
    empty.style.display = pre.style.display ? "" : "none";
    return chunk;
  };
  more().then(async (chunk) => {
    while (!EXPORT && chunk.next < chunk.size) chunk = await more();
    if (!EXPORT && chunk.status === "running") every(1000, more);
  });
  return h("div", { class: "card" }, h("h2", {}, "Output", state), pre, empty);
}

async function runPage(app, parts) {
  const id = parts[0];
  const [run, series, files] = await Promise.all([api(`/api/runs/${id}`), api(`/api/runs/${id}/series`), api(`/api/runs/${id}/files`)]);
  const code = (run.code_identities || []).map((c) => `${c.commit || ""}${c.dirty ? " (dirty)" : ""}`).join(", ");
  const flags = Object.keys(run.flags).sort().map((k) => h("tr", {}, h("td", {}, k), h("td", { class: "mono" }, fmtVal(run.flags[k]))));
  const extra = [];
  let scalars = scalarsCard(run, series);
  if (run.kind === "pipeline") extra.push(h("a", { class: "more", href: `#/pipeline/${run.id}`, id: "pipeline-link" }, "Pipeline steps and restart plan →"));
  if (run.kind === "batch") extra.push(h("a", { class: "more", href: `#/compare?batch=${run.id}` }, "Compare trials →"));
  put(app, 
    h("h1", {}, run.operation, h("span", { class: "mono muted" }, short(run.id)), badge(run.status), run.label ? h("span", { class: "muted sub" }, run.label) : null, ...extra),
    h("div", { class: "grid" },
      h("div", { class: "card" }, h("h2", {}, "Run"), kvTable([
        ["id", h("span", { class: "mono" }, run.id)], ["started", fmtTime(run.started)], ["stopped", fmtTime(run.stopped)],
        ["time", fmtDuration(run.started, run.stopped)], ["exit status", run.exit_status], ["tags", (run.tags || []).join(", ")],
        ["command", h("span", { class: "mono" }, run.command)], ["source digest", run.sourcecode_digest],
        ["code", code], ["folder", h("span", { class: "mono" }, run.run_dir)]])),
      h("div", { class: "card" }, h("h2", {}, "Flags"), flags.length ? h("table", { class: "kv", id: "flags" }, h("tbody", {}, flags)) : h("p", { class: "muted" }, "No flags."))),
    h("div", { style: "height:16px" }),
    scalars, linksCard(run), attemptsCard(run), outputCard(run), fileTree(run, files),
    h("div", { class: "card" }, h("details", {}, h("summary", {}, "Attributes"), h("pre", {}, JSON.stringify(run.attributes, null, 2)))));
  if (!EXPORT && run.status === "running") every(3000, async () => {
    const [fresh, freshSeries] = await Promise.all([api(`/api/runs/${id}`), api(`/api/runs/${id}/series`)]);
    if (fresh.status !== "running") return route();
    const next = scalarsCard(fresh, freshSeries, scalars.dataset.key);
    scalars.replaceWith(next);
    scalars = next;
  });
}

// ---- pipeline

async function pipelinePage(app, parts, params) {
  const id = parts[0];
  const needed = params.get("needed") !== "0";
  const p = await api(`/api/pipeline/${id}${needed ? "" : "?needed=0"}`);
  const boxes = [];
  p.steps.forEach((s, i) => {
    if (i) boxes.push(h("span", { class: "arrow" }, "→"));
    boxes.push(h("div", { class: `step ${s.exists ? s.status : "missing"}`, "data-step": s.name, "data-status": s.exists ? s.status : "missing", "data-action": s.action || "" },
      h("div", { class: "name" }, s.exists ? runLink(s.id, s.name) : s.name),
      h("div", {}, s.operation || "", " · ", s.exists ? s.status : "missing", s.exists ? [" · ", h("span", { class: "mono" }, short(s.id))] : ""),
      h("div", { class: "plan" }, s.action ? [badge(s.action), " ", s.reason] : h("span", { class: "muted" }, "no plan"))));
  });
  const toggle = h("label", { class: "check" }, h("input", { type: "checkbox", checked: needed, onchange: (ev) => { location.hash = `#/pipeline/${id}${ev.target.checked ? "" : "?needed=0"}`; } }), "with --needed");
  put(app, 
    h("h1", {}, "Pipeline ", runLink(p.run.id, p.run.operation), h("span", { class: "mono muted" }, short(p.run.id)), badge(p.run.status)),
    h("div", { class: "card" },
      h("div", { class: "controls" }, h("h2", { style: "margin:0" }, "Steps and the restart plan"), toggle,
        h("span", { class: "muted" }, `what 'guildlike run --restart ${short(p.run.id)}${needed ? " --needed" : ""} --plan' would do`)),
      p.plan_error ? h("div", { class: "error-box" }, `No plan: ${p.plan_error}`) : null,
      p.steps.length ? h("div", { class: "strip", id: "strip" }, boxes) : h("p", { class: "muted" }, "This run has no steps."),
      p.plan ? h("p", {}, "This run: ", badge(p.plan.action), " ", p.plan.reason) : null));
}

// ---- compare

function columnValues(table, header) {
  const i = table.headers.indexOf(header);
  return table.rows.map((r) => r[i]);
}

function scaleFor(values) {
  const nums = values.map(num).filter((v) => v !== null);
  if (nums.length === values.filter((v) => v !== null && v !== undefined).length && nums.length) {
    const lo = Math.min(...nums), hi = Math.max(...nums);
    return { f: (v) => (num(v) === null ? null : hi === lo ? 0.5 : (v - lo) / (hi - lo)), ticks: [[0, fmtVal(lo)], [1, fmtVal(hi)]] };
  }
  const cats = [...new Set(values.map(fmtVal))].sort();
  const at = new Map(cats.map((c, i) => [c, i]));
  const pos = (c) => (cats.length === 1 ? 0.5 : at.get(c) / (cats.length - 1));
  return { f: (v) => pos(fmtVal(v)), ticks: cats.slice(0, 12).map((c) => [pos(c), c]) };
}

function parallelCoords(table, dims, objective) {
  const W = Math.max(500, 150 * dims.length), H = 300, top = 24, bottom = 30, left = 60, right = 60;
  const x = (i) => left + (dims.length === 1 ? 0 : (i * (W - left - right)) / (dims.length - 1));
  const y = (t) => top + (1 - t) * (H - top - bottom);
  const cols = dims.map((d) => columnValues(table, d));
  const objCol = columnValues(table, objective);
  const scales = cols.map(scaleFor);
  const objScale = scaleFor(objCol);
  const lines = table.rows.map((_, r) => {
    const pts = cols.map((col, i) => { const t = scales[i].f(col[r]); return t === null ? null : `${x(i).toFixed(1)},${y(t).toFixed(1)}`; });
    const t = objScale.f(objCol[r]);
    const stroke = t === null ? "#b7bcc7" : `hsl(${Math.round(220 - 220 * t)},70%,45%)`;
    return svg("polyline", { points: pts.filter(Boolean).join(" "), fill: "none", stroke, "stroke-opacity": 0.7, "stroke-width": 1.5 });
  });
  const axes = dims.map((d, i) => svg("g", { class: "axis" }, svg("line", { x1: x(i), x2: x(i), y1: y(0), y2: y(1) }),
    svg("text", { x: x(i), y: H - 8, "text-anchor": "middle", "font-weight": 600 }, d),
    scales[i].ticks.map(([t, label]) => svg("text", { x: x(i) + 4, y: y(t) + 4 }, label))));
  return svg("svg", { width: W, height: H, class: "pc", id: "parallel" }, lines, axes);
}

function scatter(table, xName, yName) {
  const W = 520, H = 300, m = 44;
  const xs = columnValues(table, xName), ys = columnValues(table, yName);
  const sx = scaleFor(xs), sy = scaleFor(ys);
  const dots = table.rows.map((_, i) => {
    const a = sx.f(xs[i]), b = sy.f(ys[i]);
    if (a === null || b === null) return null;
    return svg("circle", { cx: m + a * (W - 2 * m), cy: H - m - b * (H - 2 * m), r: 4, fill: "#2f6fde", "fill-opacity": 0.7 }, svg("title", {}, `${table.rows[i][0]}: ${fmtVal(xs[i])}, ${fmtVal(ys[i])}`));
  });
  return svg("svg", { width: W, height: H, class: "scatter", id: "scatter" },
    svg("g", { class: "axis" }, svg("line", { x1: m, x2: W - m, y1: H - m, y2: H - m }), svg("line", { x1: m, x2: m, y1: m, y2: H - m })),
    sx.ticks.map(([t, l]) => svg("text", { x: m + t * (W - 2 * m), y: H - m + 14, "text-anchor": "middle" }, l)),
    sy.ticks.map(([t, l]) => svg("text", { x: m - 4, y: H - m - t * (H - 2 * m), "text-anchor": "end" }, l)),
    svg("text", { x: W / 2, y: H - 6, "text-anchor": "middle", "font-weight": 600 }, xName),
    svg("text", { x: 10, y: m - 14, "font-weight": 600 }, yName), dots);
}

function select(options, value, onchange, id) {
  return h("select", { id, onchange: (ev) => onchange(ev.target.value) }, options.map((o) => h("option", { value: o, selected: o === value }, o)));
}

function compareTable(table) {
  let order = null;
  let shown = 200;  // rows drawn at first: a thousand rows of DOM take longer than the plots
  const body = h("tbody");
  const more = h("button", { id: "more-rows", onclick: () => { shown = Infinity; draw(); } });
  const draw = () => {
    const idx = table.rows.map((_, i) => i);
    if (order) idx.sort((a, b) => { const va = table.rows[a][order.i], vb = table.rows[b][order.i];
      const c = num(va) !== null && num(vb) !== null ? va - vb : fmtVal(va).localeCompare(fmtVal(vb)); return order.desc ? -c : c; });
    body.replaceChildren(...idx.slice(0, shown).map((i) => h("tr", {}, table.rows[i].map((v, c) =>
      h("td", { class: typeof v === "number" ? "num" : "" }, table.headers[c] === "run" ? runLink(table.ids[i], v) : fmtVal(v))))));
    more.textContent = `Show all ${table.rows.length} rows`;
    more.style.display = idx.length > shown ? "" : "none";
  };
  draw();
  const heads = table.headers.map((t, i) => h("th", { class: "sortable", title: table.kinds[i], onclick: () => { order = { i, desc: order && order.i === i ? !order.desc : false }; draw(); } }, t));
  return h("div", {}, h("div", { class: "scroll" }, h("table", { id: "compare" }, h("thead", {}, h("tr", {}, heads)), body)), more);
}

async function comparePage(app, _parts, params) {
  const skip = params.get("skip_unchanged") === "1";
  const q = new URLSearchParams();
  if (params.get("run")) q.set("run", params.get("run"));
  if (params.get("batch")) q.set("batch", params.get("batch"));
  if (skip) q.set("skip_unchanged", "1");
  // The series of "loss" is asked for with the table, not after it: most pages show it first.
  const perRun = (n) => Math.max(50, Math.floor(200000 / n));
  const seriesUrl = (key, ids) => `/api/series?key=${encodeURIComponent(key)}&points=${perRun(ids.length)}&time=0&run=${ids.join(",")}`;
  const urlIds = (params.get("run") || "").split(",").filter(Boolean);
  let early = !params.get("batch") && urlIds.length ? { key: "loss", found: api(seriesUrl("loss", urlIds)).catch((e) => e) } : null;
  const [table, full] = await Promise.all([api(`/api/compare?${q}`),
    skip ? api(`/api/compare?${q.toString().replace(/&?skip_unchanged=1/, "")}`) : null]).then(([t, f]) => [t, f || t]);
  const flags = full.headers.filter((_, i) => full.kinds[i] === "flag");
  const scalars = full.headers.filter((_, i) => full.kinds[i] === "scalar");
  const objective = (full.objective && scalars.includes(full.objective.scalar) && full.objective.scalar) || (scalars.includes("loss") ? "loss" : scalars[0]);
  const toggle = h("label", { class: "check" }, h("input", { type: "checkbox", id: "skip-unchanged", checked: skip, onchange: (ev) => {
    params.delete("skip_unchanged"); if (ev.target.checked) params.set("skip_unchanged", "1"); location.hash = `#/compare?${params}`; } }), "skip unchanged columns");
  const pcBox = h("div", {}), scBox = h("div", {}), seriesBox = h("div", { class: "chart", id: "overlay" });
  let obj = objective, sx = flags[0], sy = objective, skey = objective;
  const drawPc = () => pcBox.replaceChildren(flags.length && obj ? parallelCoords(full, [...flags, obj], obj) : h("p", { class: "muted" }, "Needs flags and a scalar."));
  const drawSc = () => scBox.replaceChildren(sx && sy ? scatter(full, sx, sy) : h("p", { class: "muted" }, "Needs a flag and a scalar."));
  const drawSeries = async () => {
    charts.forEach((c) => c.destroy());
    charts = [];
    if (!skey) return;
    let found;
    try {
      found = early && early.key === skey ? await early.found : await api(seriesUrl(skey, full.ids));
      early = null;
      if (found instanceof Error) throw found;
    } catch (e) {
      seriesBox.replaceChildren(h("div", { class: "error-box" }, e.message));
      return;
    }
    const withPoints = found.series.filter((s) => s.points.length);
    seriesBox.replaceChildren();
    if (!withPoints.length) { seriesBox.append(h("p", { class: "muted" }, `No values of ${skey}.`)); return; }
    lineChart(seriesBox, withPoints.map((s) => short(s.run)), withPoints.map((s) => xy(s.points)), { height: 300 });
  };
  put(app, 
    h("h1", {}, full.batch ? ["Trials of batch ", runLink(full.batch)] : `Compare ${full.ids.length} run${full.ids.length === 1 ? "" : "s"}`),
    h("div", { class: "card" }, h("div", { class: "controls" }, toggle), compareTable(table)),
    h("div", { class: "grid" },
      h("div", { class: "card" }, h("div", { class: "controls" }, h("h2", { style: "margin:0" }, "Flags against"), select(scalars, obj, (v) => { obj = v; drawPc(); }, "pc-objective"),
        full.objective ? h("span", { class: "muted" }, `(batch objective: ${full.objective.maximize ? "maximize" : "minimize"} ${full.objective.scalar})`) : null), h("div", { class: "scroll" }, pcBox)),
      h("div", { class: "card" }, h("div", { class: "controls" }, h("h2", { style: "margin:0" }, "Scatter"), select(flags, sx, (v) => { sx = v; drawSc(); }, "scatter-x"), "against",
        select(scalars, sy, (v) => { sy = v; drawSc(); }, "scatter-y")), scBox)),
    h("div", { style: "height:16px" }),
    h("div", { class: "card" }, h("div", { class: "controls" }, h("h2", { style: "margin:0" }, "Series of"), select(scalars, skey, (v) => { skey = v; drawSeries(); }, "series-key")), seriesBox));
  drawPc();
  drawSc();
  await drawSeries();
}

// ---- diff

async function diffPage(app, _parts, params) {
  const d = await api(`/api/diff?a=${encodeURIComponent(params.get("a") || "")}&b=${encodeURIComponent(params.get("b") || "")}`);
  const line = (l) => h("div", { class: `diff-line ${/^\s*\+/.test(l) && !/^\s*\+\+\+/.test(l) ? "add" : /^\s*-/.test(l) && !/^\s*---/.test(l) ? "del" : ""}` }, l);
  put(app, 
    h("h1", {}, "Diff ", runLink(d.a.id), h("span", { class: "muted" }, d.a.operation), " → ", runLink(d.b.id), h("span", { class: "muted" }, d.b.operation)),
    ...d.sections.map((s) => h("div", { class: "card", "data-section": s.name }, h("h2", {}, s.name),
      s.lines.length ? h("pre", { class: "mono", style: "margin:0;white-space:pre-wrap" }, s.lines.map(line)) : h("p", { class: "muted" }, "no differences"))));
}

// ---- start

window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", async () => {
  if (EXPORT) document.getElementById("home").textContent = `exported ${EXPORT.created} · ${EXPORT.runs.length} runs`;
  else api("/api/info").then((i) => { document.getElementById("home").textContent = `${i.home} · ${i.runs} runs · guildlike ${i.version}`; }).catch(() => {});
  if (!location.hash && EXPORT && EXPORT.start) location.hash = EXPORT.start;
  route();
});
