/* The policy tracker's KPIs (loaded by plugins/policy_charts.py on a policy_tracker_kpis row page, as a
 * module): the KPI's result month by month (bars), its running total (line) and its yearly target, from
 * policy_tracker_kpi_results through the site's JSON API. A month not yet reported when the tracker was
 * read (reported = 0: August and September 2024) is drawn as an empty dashed box labelled so, never
 * as a zero. Helpers come from policy-charts.js; DOM built with createElement(NS) and textContent only. */

import { el, failed, getJson, insertAfterTable, niceMax, number, svgEl, thaiMonth, withThaiMonth } from "./policy-charts.js";

/* /<base>/openbangkok/policy_tracker_kpis/<id> -> (/<base>/openbangkok, <id>) */
function here() {
  const parts = window.location.pathname.replace(/\/$/, "").split("/");
  const at = parts.lastIndexOf("policy_tracker_kpis");
  return [parts.slice(0, at).join("/"), decodeURIComponent(parts[at + 1] || "")];
}

function monthlyChart(kpi, results) {
  const L = { width: 700, height: 240, left: 70, right: 20, top: 18, bottom: 42 };
  const plotW = L.width - L.left - L.right;
  const plotH = L.height - L.top - L.bottom;
  let running = 0;
  const months = results.map((r) => {
    const reported = Number(r.reported) === 1;
    if (reported) running += Number(r.value) || 0;
    return { month: r.month, value: reported ? Number(r.value) : null, total: reported ? running : null, reported };
  });
  const target = kpi.target === null || kpi.target === undefined ? null : Number(kpi.target);
  const top = niceMax(Math.max(1, running, target || 0) * 1.05);
  const slot = plotW / Math.max(1, months.length);
  const y = (v) => L.top + plotH - (plotH * Math.max(0, Math.min(top, v))) / top;
  const root = svgEl("svg", { viewBox: `0 0 ${L.width} ${L.height}`, width: "100%", role: "img", class: "policy-chart-svg" });
  root.appendChild(svgEl("title", {}, `${kpi.name_th}: ผลรายเดือนและผลสะสม / monthly and running total (${kpi.unit})`));
  for (const fraction of [0, 0.25, 0.5, 0.75, 1]) {
    root.appendChild(svgEl("line", { x1: L.left, x2: L.width - L.right, y1: y(top * fraction), y2: y(top * fraction), class: "policy-grid" }));
    root.appendChild(svgEl("text", { x: L.left - 6, y: y(top * fraction) + 4, class: "policy-axis-y" }, number.format(top * fraction)));
  }
  if (target !== null) {
    root.appendChild(svgEl("line", { x1: L.left, x2: L.width - L.right, y1: y(target), y2: y(target), class: "policy-target" }));
    root.appendChild(svgEl("text", { x: L.width - L.right, y: y(target) - 4, class: "policy-target-label" },
      `เป้าหมาย / target ${number.format(target)}`));
  }
  months.forEach((m, i) => {
    const x = L.left + i * slot + slot * 0.15;
    const width = slot * 0.7;
    const group = svgEl("g", { class: m.reported ? "tracker-month" : "tracker-month tracker-not-reported", "data-month": m.month });
    if (m.reported) {
      group.appendChild(svgEl("rect", { x, y: y(m.value), width, height: Math.max(0, y(0) - y(m.value)), class: "policy-bar" }));
      group.appendChild(svgEl("title", {}, `${withThaiMonth(m.month)}: ${number.format(m.value)} ${kpi.unit} (สะสม / running total ${number.format(m.total)})`));
    } else {
      group.appendChild(svgEl("rect", { x, y: L.top, width, height: plotH, class: "tracker-missing" }));
      group.appendChild(svgEl("text", { x: x + width / 2, y: L.top + plotH / 2, class: "tracker-missing-label",
                                         transform: `rotate(-90 ${x + width / 2} ${L.top + plotH / 2})` }, "ยังไม่รายงาน / not reported"));
      group.appendChild(svgEl("title", {}, `${withThaiMonth(m.month)}: ยังไม่รายงาน ณ 12 ส.ค. 2567 / not yet reported on 12 Aug 2024`));
    }
    group.appendChild(svgEl("text", { x: x + width / 2, y: L.height - L.bottom + 14, class: "policy-axis-x" }, m.month.slice(2)));
    group.appendChild(svgEl("text", { x: x + width / 2, y: L.height - L.bottom + 28, class: "policy-axis-x" },
      thaiMonth(m.month).split(" ")[0])); /* the Thai month under the ISO one, which carries the year */
    root.appendChild(group);
  });
  const line = months.filter((m) => m.reported)
    .map((m, i) => `${i ? "L" : "M"}${(L.left + months.indexOf(m) * slot + slot / 2).toFixed(1)},${y(m.total).toFixed(1)}`);
  if (line.length > 1) root.appendChild(svgEl("path", { d: line.join(" "), class: "policy-line" }));
  return root;
}

async function rowPage() {
  const section = el("section", "policy-progress");
  section.id = "tracker-kpi-chart";
  section.setAttribute("aria-busy", "true");
  insertAfterTable(section);
  section.appendChild(el("h2", "", "ผลรายเดือน / Month by month"));
  try {
    const [db, id] = here();
    const [kpi] = await getJson(`${db}/policy_tracker_kpis.json?tracker_kpi_id=${encodeURIComponent(id)}&_shape=array`);
    const results = await getJson(`${db}/policy_tracker_kpi_results.json?tracker_kpi_id=${encodeURIComponent(id)}` +
                                  "&_shape=array&_sort=month&_size=max");
    const figure = el("figure", "policy-kpi");
    const caption = el("figcaption", "policy-chart-caption");
    caption.appendChild(el("strong", "", kpi.name_th));
    caption.appendChild(el("span", "policy-chart-note",
      `หน่วย / unit: ${kpi.unit} · เป้าหมาย / target: ${number.format(kpi.target)} · ผลรวม / total: ` +
      `${number.format(kpi.total_result)} (${kpi.overall_percent}%) · แท่ง = ผลรายเดือน เส้น = ผลสะสม / bars: month, line: running total`));
    caption.appendChild(el("span", "policy-chart-note",
      "ส.ค. และ ก.ย. 2567 ยังไม่รายงาน ณ วันที่อ่านข้อมูล (12 ส.ค. 2567) ไม่ใช่ศูนย์ / " +
      "August and September 2024 were not yet reported when the tracker was read (12 Aug 2024): not zeros."));
    caption.appendChild(el("span", "policy-chart-source", `แหล่งที่มา / source: ${kpi.source}`));
    figure.appendChild(caption);
    figure.appendChild(monthlyChart(kpi, results));
    section.appendChild(figure);
    section.setAttribute("data-months", String(results.length));
    section.setAttribute("aria-busy", "false");
  } catch (error) {
    failed(section, error);
  }
}

rowPage();
