/* Policy charts (loaded by plugins/policy_charts.py on the policies pages only, as a module).
 *   ?view=table  the policies table page: a bar per dimension (9 ดี) with the mean progress of the
 *                policies the page's filters select, and their count per status.
 *   ?view=row    a policy's row page: its KPIs, a line of progress over time per KPI and the timeline
 *                of every progress report (the policy_timeline canned query, over the policy_progress_reports view).
 * Everything comes from the site's JSON API. The DOM is built with createElement(NS) and textContent
 * only: no innerHTML, no inline script or style, so it runs under a strict Content-Security-Policy. */

const SVG = "http://www.w3.org/2000/svg";
const VIEW = new URL(import.meta.url).searchParams.get("view");
const STATUSES = [
  ["not started", "ยังไม่เริ่ม"],
  ["in progress", "กำลังดำเนินการ"],
  ["achieved", "บรรลุเป้าหมาย"],
  ["on hold", "ชะลอ/ระงับ"],
];
export const number = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
const MARK = "ข้อมูลตัวอย่าง / ILLUSTRATIVE"; /* on every chart drawn from illustrative rows */
const markIllustrative = (root, width) => root.appendChild(svgEl("text", { x: width - 4, y: 12, class: "policy-watermark" }, MARK));

export function el(name, className, text) {
  const node = document.createElement(name);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function svgEl(name, attrs, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function link(href, text) {
  const a = el("a", "", text);
  a.href = href;
  return a;
}

export function isIllustrative(row) {
  return Number(row.is_illustrative) === 1;
}

export async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${url}`);
  return response.json();
}

/* Every row of a table JSON URL (objects shape), following next_url. */
async function allRows(url, maxPages = 20) {
  const rows = [];
  for (let page = 0; url && page < maxPages; page += 1) {
    const data = await getJson(url);
    rows.push(...data.rows);
    url = data.next_url;
  }
  return rows;
}

/* /<base>/openbangkok/policies[/<pk>] -> /<base>/openbangkok */
function databasePath() {
  const parts = window.location.pathname.replace(/\/$/, "").split("/");
  const at = parts.lastIndexOf("policies");
  return parts.slice(0, at).join("/");
}

function figure(id) {
  const node = el("figure", "policy-chart");
  node.id = id;
  node.setAttribute("aria-busy", "true");
  return node;
}

export function insertAfterTable(node) {
  const table = document.querySelector(".table-wrapper") || document.querySelector("table.rows-and-columns");
  if (table && table.parentNode) {
    table.parentNode.insertBefore(node, table.nextSibling);
  } else {
    (document.querySelector(".content") || document.body).appendChild(node);
  }
}

function insertBeforeTable(node) {
  const table = document.querySelector(".table-wrapper") || document.querySelector("table.rows-and-columns");
  if (table && table.parentNode) {
    table.parentNode.insertBefore(node, table);
  } else {
    (document.querySelector(".content") || document.body).appendChild(node);
  }
}

export function failed(node, error) {
  node.appendChild(el("p", "policy-chart-error", `โหลดกราฟไม่สำเร็จ / The chart could not load: ${error.message}`));
  node.setAttribute("aria-busy", "false");
}

/* ---------- the policies table page: progress by dimension ---------- */

function policiesJsonUrl() {
  const params = new URLSearchParams(window.location.search);
  for (const key of [...params.keys()]) {
    if (key.startsWith("_") && key !== "_where" && key !== "_search" && !key.startsWith("_filter")) params.delete(key);
  }
  params.set("_shape", "objects");
  params.set("_size", "max");
  for (const column of ["policy_id", "dimension", "status", "progress_percent", "is_illustrative"]) {
    params.append("_col", column);
  }
  return `${window.location.pathname.replace(/\/$/, "")}.json?${params}`;
}

function summarise(dimensions, policies) {
  return dimensions.map((d) => {
    const mine = policies.filter((p) => p.dimension === d.dimension_code);
    const measured = mine.filter((p) => p.progress_percent !== null && p.progress_percent !== undefined);
    const mean = measured.length ? measured.reduce((s, p) => s + Number(p.progress_percent), 0) / measured.length : null;
    const statuses = Object.fromEntries(STATUSES.map(([s]) => [s, mine.filter((p) => p.status === s).length]));
    return { ...d, policies: mine.length, measured: measured.length, mean, statuses,
             illustrative: mine.filter(isIllustrative).length };
  });
}

function dimensionBars(summary) {
  const L = { width: 760, row: 30, bar: 18, left: 230, right: 150, top: 28, bottom: 8 };
  const plot = L.width - L.left - L.right;
  const height = L.top + summary.length * L.row + L.bottom;
  const x = (v) => L.left + (plot * Math.max(0, Math.min(100, v))) / 100;
  const root = svgEl("svg", { viewBox: `0 0 ${L.width} ${height}`, width: "100%", role: "img",
                              class: "policy-chart-svg", "aria-labelledby": "policy-dimension-chart-title" });
  root.appendChild(svgEl("title", { id: "policy-dimension-chart-title" },
    "ความก้าวหน้าเฉลี่ยรายด้าน (ร้อยละ) / Mean progress by dimension (%)"));
  if (summary.some((d) => d.illustrative)) markIllustrative(root, L.width);
  for (const tick of [0, 25, 50, 75, 100]) {
    root.appendChild(svgEl("line", { x1: x(tick), x2: x(tick), y1: L.top - 6, y2: height - L.bottom, class: "policy-grid" }));
    root.appendChild(svgEl("text", { x: x(tick), y: L.top - 10, class: "policy-tick" }, `${tick}%`));
  }
  summary.forEach((d, i) => {
    const y = L.top + i * L.row;
    const group = svgEl("g", { class: "policy-dimension", "data-dimension": d.dimension_code });
    const perStatus = STATUSES.filter(([s]) => d.statuses[s])
      .map(([s, th]) => `${th} / ${s}: ${d.statuses[s]}`).join(", ");
    group.appendChild(svgEl("title", {},
      `${d.name_th} / ${d.name_en}: ${d.policies} นโยบาย / policies (${perStatus || "-"}); ` +
      (d.mean === null ? "ไม่มีข้อมูลความก้าวหน้า / no progress reported"
                       : `เฉลี่ย / mean ${d.mean.toFixed(1)}% จาก / of ${d.measured}`) +
      (d.illustrative ? `; ตัวอย่าง / illustrative: ${d.illustrative}` : "")));
    group.appendChild(svgEl("text", { x: L.left - 8, y: y + L.bar - 4, class: "policy-label" }, `${d.name_th} / ${d.name_en}`));
    group.appendChild(svgEl("rect", { x: x(0), y, width: plot, height: L.bar, class: "policy-bar-track" }));
    if (d.mean !== null) {
      group.appendChild(svgEl("rect", { x: x(0), y, width: Math.max(1, x(d.mean) - x(0)), height: L.bar,
                                        class: d.illustrative ? "policy-bar policy-bar-illustrative" : "policy-bar" }));
    }
    group.appendChild(svgEl("text", { x: x(100) + 6, y: y + L.bar - 4, class: "policy-value" },
      // the mean is over the policies that report progress: the label counts those, of how many
      `${d.mean === null ? "–" : `${d.mean.toFixed(0)}%`} · ${d.measured === d.policies ? "" : `${d.measured} จาก `}${d.policies} นโยบาย`));
    root.appendChild(group);
  });
  return root;
}

function statusTable(summary) {
  const table = el("table", "policy-status-table");
  const head = table.createTHead().insertRow();
  for (const text of ["ด้าน / Dimension", "นโยบาย / Policies", ...STATUSES.map(([s, th]) => `${th} / ${s}`),
                      "ความก้าวหน้าเฉลี่ย / Mean progress"]) {
    head.appendChild(el("th", "", text));
  }
  const body = table.createTBody();
  for (const d of summary) {
    const row = body.insertRow();
    row.appendChild(el("td", "", `${d.name_th} / ${d.name_en}`));
    row.appendChild(el("td", "", d.policies));
    for (const [s] of STATUSES) row.appendChild(el("td", "", d.statuses[s]));
    row.appendChild(el("td", "", d.mean === null ? "–" : `${d.mean.toFixed(1)}%`));
  }
  return table;
}

async function tablePage() {
  const node = figure("policy-dimension-chart");
  insertBeforeTable(node);
  try {
    const db = databasePath();
    const [dimensions, policies] = await Promise.all([
      getJson(`${db}/policy_dimensions.json?_shape=array&_sort=dimension_number&_size=max`),
      allRows(policiesJsonUrl()),
    ]);
    const summary = summarise(dimensions, policies);
    const illustrative = policies.filter(isIllustrative).length;
    const caption = el("figcaption", "policy-chart-caption");
    caption.appendChild(el("strong", "", "ความก้าวหน้าเฉลี่ยรายด้าน (9 ดี) / Mean progress by dimension"));
    caption.appendChild(el("span", "policy-chart-note",
      `${policies.length} นโยบายตามตัวกรองของหน้านี้ ความก้าวหน้าของนโยบาย = ค่าเฉลี่ยของความก้าวหน้าล่าสุดของแต่ละตัวชี้วัด / ` +
      `${policies.length} policies selected by this page's filters; a policy's progress is the mean of its KPIs' latest progress.`));
    if (illustrative) {
      caption.appendChild(el("span", "policy-chart-warning",
        `ตัวอย่างประกอบ: ${illustrative} จาก ${policies.length} นโยบายเป็นข้อมูลสมมติ ไม่ใช่ข้อมูลจริง / ` +
        `Illustrative: ${illustrative} of ${policies.length} policies are a made-up sample, not real BMA data.`));
    }
    node.appendChild(caption);
    node.appendChild(dimensionBars(summary));
    const details = el("details", "policy-chart-details");
    details.appendChild(el("summary", "", "จำนวนนโยบายตามสถานะ / Policies per status"));
    details.appendChild(statusTable(summary));
    node.appendChild(details);
    node.setAttribute("data-policies", String(policies.length));
    node.setAttribute("aria-busy", "false");
  } catch (error) {
    failed(node, error);
  }
}

/* ---------- a policy's row page: KPIs, progress over time, timeline ---------- */

const THAI_MONTHS = ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."];

/* "2022-12" -> "ธ.ค. 2565" (the Buddhist-era year, as the pages show it beside ISO); "" for anything else */
export function thaiMonth(iso) {
  const m = /^(\d{4})-(\d{2})$/.exec(String(iso || ""));
  return m ? `${THAI_MONTHS[Number(m[2]) - 1]} ${Number(m[1]) + 543}` : "";
}

/* "2022-12 (ธ.ค. 2565)" */
export const withThaiMonth = (iso) => (thaiMonth(iso) ? `${iso} (${thaiMonth(iso)})` : String(iso ?? ""));

function monthIndex(month) {
  const [year, m] = String(month).split("-").map(Number);
  return year * 12 + (m - 1);
}

/* The smallest of 1, 2, 5 or 10 x a power of ten at or above v: an axis top with five round steps. */
export function niceMax(v) {
  const power = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * power).find((m) => m >= v);
}

function kpiChart(kpi, reports) {
  const usePercent = reports.some((r) => r.progress_percent !== null && r.progress_percent !== undefined);
  const points = reports
    .map((r) => ({ month: r.report_month, y: usePercent ? r.progress_percent : r.value, row: r }))
    .filter((p) => p.y !== null && p.y !== undefined)
    .sort((a, b) => monthIndex(a.month) - monthIndex(b.month));
  const L = { width: 640, height: 210, left: 64, right: 44, top: 16, bottom: 36 }; /* right: room for the last month's label */
  const plotW = L.width - L.left - L.right;
  const plotH = L.height - L.top - L.bottom;
  const first = points.length ? monthIndex(points[0].month) : 0;
  const last = points.length ? monthIndex(points[points.length - 1].month) : 0;
  const span = Math.max(1, last - first);
  const top = usePercent ? 100 : niceMax(Math.max(1, ...points.map((p) => Number(p.y)), Number(kpi.target) || 0) * 1.05);
  const x = (month) => L.left + (points.length > 1 ? (plotW * (monthIndex(month) - first)) / span : plotW / 2);
  const y = (v) => L.top + plotH - (plotH * Math.max(0, Math.min(top, Number(v)))) / top;
  const unit = usePercent ? "%" : kpi.unit || "";
  const root = svgEl("svg", { viewBox: `0 0 ${L.width} ${L.height}`, width: "100%", role: "img", class: "policy-chart-svg" });
  root.appendChild(svgEl("title", {}, `${kpi.name_th}: ${usePercent ? "ความก้าวหน้า (ร้อยละ) / progress (%)" : `ผลการดำเนินงาน / value (${unit})`}`));
  for (const fraction of [0, 0.2, 0.4, 0.6, 0.8, 1]) {
    const v = top * fraction;
    root.appendChild(svgEl("line", { x1: L.left, x2: L.width - L.right, y1: y(v), y2: y(v), class: "policy-grid" }));
    root.appendChild(svgEl("text", { x: L.left - 6, y: y(v) + 4, class: "policy-axis-y" },
      usePercent ? `${Math.round(v)}%` : number.format(v)));
  }
  if (!usePercent && kpi.target !== null && kpi.target !== undefined) {
    root.appendChild(svgEl("line", { x1: L.left, x2: L.width - L.right, y1: y(kpi.target), y2: y(kpi.target), class: "policy-target" }));
    root.appendChild(svgEl("text", { x: L.width - L.right, y: y(kpi.target) - 4, class: "policy-target-label" },
      `เป้าหมาย / target ${number.format(kpi.target)}`));
  }
  const labelled = new Set([0, points.length - 1, Math.floor((points.length - 1) / 2)]);
  points.forEach((p, i) => {
    if (labelled.has(i)) {
      root.appendChild(svgEl("text", { x: x(p.month), y: L.height - L.bottom + 14, class: "policy-axis-x" }, p.month));
      root.appendChild(svgEl("text", { x: x(p.month), y: L.height - L.bottom + 28, class: "policy-axis-x" }, thaiMonth(p.month)));
    }
  });
  const illustrative = points.some((p) => isIllustrative(p.row));
  if (illustrative || isIllustrative(kpi)) markIllustrative(root, L.width);
  if (points.length > 1) {
    const d = points.map((p, i) => `${i ? "L" : "M"}${x(p.month).toFixed(1)},${y(p.y).toFixed(1)}`).join(" ");
    root.appendChild(svgEl("path", { d, class: illustrative ? "policy-line policy-line-illustrative" : "policy-line" }));
  }
  for (const p of points) {
    const dot = svgEl("circle", { cx: x(p.month), cy: y(p.y), r: 4,
                                  class: isIllustrative(p.row) ? "policy-dot policy-dot-illustrative" : "policy-dot" });
    dot.appendChild(svgEl("title", {},
      `${withThaiMonth(p.month)}: ${number.format(p.row.value ?? "")} ${kpi.unit || ""}` +
      (p.row.progress_percent === null || p.row.progress_percent === undefined ? "" : ` (${p.row.progress_percent}%)`) +
      (isIllustrative(p.row) ? " - ตัวอย่าง / illustrative" : "")));
    root.appendChild(dot);
  }
  return { root, points: points.length, usePercent };
}

function kpiFigure(kpi, reports) {
  const node = el("figure", "policy-kpi");
  node.setAttribute("data-kpi", kpi.kpi_id);
  const caption = el("figcaption", "policy-chart-caption");
  caption.appendChild(el("strong", "", `${kpi.name_th}${kpi.name_en ? ` / ${kpi.name_en}` : ""}`));
  const facts = [`หน่วย / unit: ${kpi.unit}`];
  if (kpi.target !== null && kpi.target !== undefined) facts.push(`เป้าหมาย / target: ${number.format(kpi.target)}`);
  if (kpi.fiscal_year_be) facts.push(`ปีงบประมาณ / fiscal year ${kpi.fiscal_year_be}`);
  facts.push(`${reports.length} รายงาน / reports`);
  caption.appendChild(el("span", "policy-chart-note", `${kpi.kpi_id} · ${facts.join(" · ")}`));
  if (isIllustrative(kpi)) {
    caption.appendChild(el("span", "policy-chart-warning", "ตัวชี้วัดตัวอย่าง ไม่ใช่ข้อมูลจริง / Illustrative KPI, not real BMA data"));
  }
  caption.appendChild(el("span", "policy-chart-source", `แหล่งที่มา / source: ${kpi.source}`));
  node.appendChild(caption);
  if (reports.length) {
    const chart = kpiChart(kpi, reports);
    node.appendChild(chart.root);
    if (!chart.usePercent) {
      node.appendChild(el("p", "policy-chart-note",
        "ไม่มีค่าเป้าหมายจึงแสดงผลการดำเนินงานแทนร้อยละ / No target stated, so the chart shows the value, not a percentage."));
    }
  } else {
    node.appendChild(el("p", "policy-chart-empty", "ยังไม่มีรายงานความก้าวหน้า / No progress report yet."));
  }
  return node;
}

function timelineTable(reports, kpis) {
  const names = Object.fromEntries(kpis.map((k) => [k.kpi_id, k]));
  const table = el("table", "policy-timeline rows-and-columns");
  const head = table.createTHead().insertRow();
  for (const text of ["เดือน / Month", "ตัวชี้วัด / KPI", "ผล / Value", "ความก้าวหน้า / Progress",
                      "หมายเหตุ / Note", "ตัวอย่าง / Illustrative", "แหล่งที่มา / Source"]) {
    head.appendChild(el("th", "", text));
  }
  const body = table.createTBody();
  const sorted = [...reports].sort((a, b) => monthIndex(a.report_month) - monthIndex(b.report_month)
                                            || String(a.kpi_id).localeCompare(String(b.kpi_id)));
  for (const r of sorted) {
    const row = body.insertRow();
    if (isIllustrative(r)) row.className = "policy-illustrative";
    const kpi = names[r.kpi_id] || {};
    row.appendChild(el("td", "", withThaiMonth(r.report_month)));
    row.appendChild(el("td", "", `${r.kpi_id} ${kpi.name_th || r.kpi_th || ""}`));
    row.appendChild(el("td", "", r.value === null || r.value === undefined ? "" : `${number.format(r.value)} ${kpi.unit || r.unit || ""}`));
    row.appendChild(el("td", "", r.progress_percent === null || r.progress_percent === undefined ? "" : `${r.progress_percent}%`));
    row.appendChild(el("td", "", r.note || ""));
    row.appendChild(el("td", "", isIllustrative(r) ? "ตัวอย่าง / illustrative" : "จริง / real"));
    row.appendChild(el("td", "", r.source || ""));
  }
  return table;
}

function agencyList(agencies) {
  const list = el("ul", "policy-agencies");
  list.id = "policy-agencies";
  for (const [role, th, en] of [["H", "หน่วยงานรับผิดชอบหลัก", "lead"], ["R", "หน่วยงานสนับสนุน", "supporting"]]) {
    const item = el("li", `policy-agencies-${en}`);
    item.appendChild(el("strong", "", `${th} (${role}) / ${en[0].toUpperCase()}${en.slice(1)}: `));
    const mine = agencies.filter((a) => a.role === role);
    if (!mine.length) item.appendChild(document.createTextNode("–"));
    mine.forEach((a, i) => {
      const code = a.agency_code && typeof a.agency_code === "object" ? a.agency_code.value : a.agency_code;
      const name = a.agency_code && typeof a.agency_code === "object" ? a.agency_code.label : a.agency_code;
      if (i) item.appendChild(document.createTextNode(", "));
      item.appendChild(link(`${databasePath()}/agencies/${encodeURIComponent(code)}`, name || code));
      if (isIllustrative(a)) item.appendChild(el("sup", "policy-assumed", "*"));
    });
    list.appendChild(item);
  }
  if (agencies.some(isIllustrative)) {
    list.appendChild(el("li", "policy-assumed",
      "* ทีมงานกำหนดหรือข้อมูลสมมติ ไม่ได้มาจากแหล่งข่าว / assigned by the Open Bangkok team or illustrative, not from a source"));
  }
  return list;
}

async function rowPage() {
  const section = el("section", "policy-progress");
  section.id = "policy-progress";
  section.setAttribute("aria-busy", "true");
  insertAfterTable(section);
  section.appendChild(el("h2", "", "หน่วยงาน ตัวชี้วัด และความก้าวหน้า / Agencies, KPIs and progress"));
  try {
    const db = databasePath();
    const data = await getJson(`${window.location.pathname.replace(/\/$/, "")}.json?_shape=objects`);
    const policy = data.rows[0];
    const id = encodeURIComponent(policy.policy_id);
    const [agencies, kpis, reports] = await Promise.all([
      getJson(`${db}/policy_agencies.json?policy_id=${id}&_shape=array&_size=max&_labels=on&_sort=role`),
      getJson(`${db}/policy_kpis.json?policy_id=${id}&_shape=array&_size=max&_sort=kpi_id`),
      getJson(`${db}/policy_timeline.json?policy_id=${id}&_shape=array`),
    ]);
    section.appendChild(agencyList(agencies));
    const charts = el("div", "policy-kpis");
    charts.id = "policy-kpi-charts";
    if (!kpis.length) {
      charts.appendChild(el("p", "policy-chart-empty", "ยังไม่มีตัวชี้วัดในชุดข้อมูลนี้ / No KPIs in this dataset yet."));
    }
    for (const kpi of kpis) charts.appendChild(kpiFigure(kpi, reports.filter((r) => r.kpi_id === kpi.kpi_id)));
    section.appendChild(charts);
    section.appendChild(el("h3", "", "ไทม์ไลน์รายงานความก้าวหน้า / Timeline of progress reports"));
    if (reports.length) {
      section.appendChild(timelineTable(reports, kpis));
    } else {
      section.appendChild(el("p", "policy-chart-empty", "ยังไม่มีรายงานความก้าวหน้า / No progress report yet."));
    }
    const more = el("p", "policy-chart-links");
    more.appendChild(link(`${db}/policy_timeline?policy_id=${id}`, "ไทม์ไลน์เป็นตาราง / Timeline as a table"));
    more.appendChild(document.createTextNode(" · "));
    more.appendChild(link(`${db}/policy_timeline.csv?policy_id=${id}`, "CSV"));
    more.appendChild(document.createTextNode(" · "));
    more.appendChild(link(`${db}/policy_timeline.json?policy_id=${id}&_shape=array`, "JSON"));
    section.appendChild(more);
    section.setAttribute("data-kpis", String(kpis.length));
    section.setAttribute("data-reports", String(reports.length));
    section.setAttribute("aria-busy", "false");
  } catch (error) {
    failed(section, error);
  }
}

if (VIEW === "table") tablePage();
if (VIEW === "row") rowPage();
