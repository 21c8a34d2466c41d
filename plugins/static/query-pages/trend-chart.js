/* complaints_monthly_trend: tickets per month as bars, the finished part darker, each month labelled
 * with its ISO and Buddhist-era form (2022-12 / ธ.ค. 2565). A month with illustrative tickets is
 * hatched and marked "ข้อมูลตัวอย่าง / ILLUSTRATIVE". Fetches the page's own JSON (?_shape=array);
 * DOM built with createElement/textContent only, no inline script or style (strict CSP). Drawn in a
 * viewBox that scales to the page, so it reads at 390 px as at 1400 px. Loaded by plugins/query_pages.py. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var MONTHS = ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."];
  var L = { width: 360, height: 240, top: 28, bottom: 46, left: 44, right: 8 };

  function svg(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function thaiMonth(iso) {
    var m = /^(\d{4})-(\d{2})$/.exec(iso || "");
    return m ? MONTHS[Number(m[2]) - 1] + " " + (Number(m[1]) + 543) : "";
  }

  function jsonUrl() {
    var params = new URLSearchParams(window.location.search);
    params.set("_shape", "array");
    return window.location.pathname.replace(/\/$/, "") + ".json?" + params.toString();
  }

  function draw(rows, box) {
    var max = Math.max.apply(null, rows.map(function (r) { return r.tickets; }).concat([1]));
    var plot = { w: L.width - L.left - L.right, h: L.height - L.top - L.bottom };
    var step = plot.w / rows.length;
    var bar = Math.min(48, step * 0.7);
    var y = function (v) { return L.top + plot.h - plot.h * v / max; };
    var title = (rows[0].district || "") + " · " + (rows[0].type || "");
    var root = svg("svg", { viewBox: "0 0 " + L.width + " " + L.height, width: "100%", role: "img",
                            "class": "trend-svg", "aria-label": "เรื่องร้องเรียนรายเดือน / Complaints per month: " + title });
    var defs = svg("defs");
    var hatch = svg("pattern", { id: "trend-hatch", width: 5, height: 5, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
    hatch.appendChild(svg("line", { x1: 0, y1: 0, x2: 0, y2: 5, "class": "trend-hatch-line" }));
    defs.appendChild(hatch);
    root.appendChild(defs);
    [0, 0.5, 1].forEach(function (f) {
      var v = Math.round(max * f);
      root.appendChild(svg("line", { x1: L.left, x2: L.width - L.right, y1: y(v), y2: y(v), "class": "trend-grid" }));
      root.appendChild(svg("text", { x: L.left - 4, y: y(v) + 4, "class": "trend-tick" }, v.toLocaleString("th-TH")));
    });
    rows.forEach(function (r, i) {
      var x = L.left + i * step + (step - bar) / 2;
      var g = svg("g", { "class": "trend-month" + (r.illustrative_tickets > 0 ? " trend-illustrative" : "") });
      g.appendChild(svg("rect", { x: x, y: y(r.tickets), width: bar, height: y(0) - y(r.tickets), "class": "trend-bar" }));
      g.appendChild(svg("rect", { x: x, y: y(r.finished), width: bar, height: y(0) - y(r.finished), "class": "trend-finished" }));
      if (r.illustrative_tickets > 0) {
        g.appendChild(svg("rect", { x: x, y: y(r.tickets), width: bar, height: y(0) - y(r.tickets), fill: "url(#trend-hatch)" }));
        g.appendChild(svg("text", { x: x + bar / 2, y: y(r.tickets) - 14, "class": "trend-mark" }, "ตัวอย่าง / ILLUSTRATIVE"));
      }
      g.appendChild(svg("text", { x: x + bar / 2, y: y(r.tickets) - 3, "class": "trend-value" }, r.tickets.toLocaleString("th-TH")));
      g.appendChild(svg("text", { x: x + bar / 2, y: L.height - L.bottom + 14, "class": "trend-label" }, r.month));
      g.appendChild(svg("text", { x: x + bar / 2, y: L.height - L.bottom + 28, "class": "trend-label" }, thaiMonth(r.month)));
      g.appendChild(svg("title", {}, r.month + " (" + thaiMonth(r.month) + "): " + r.tickets + " เรื่อง / tickets, " +
                        r.finished + " เสร็จสิ้น / finished"));
      root.appendChild(g);
    });
    var caption = document.createElement("p");
    caption.className = "trend-caption";
    caption.textContent = "เรื่องร้องเรียนรายเดือน / Tickets per month — " + title +
      " · สีเข้ม = เสร็จสิ้น / dark = finished";
    box.appendChild(caption);
    box.appendChild(root);
    var marked = rows.filter(function (r) { return r.illustrative_tickets > 0; }).length;
    if (marked) {
      var warn = document.createElement("p");
      warn.className = "trend-warning";
      warn.textContent = marked + " เดือนมีข้อมูลตัวอย่าง (ลายเส้น) / " + marked + " month(s) hold ILLUSTRATIVE tickets (hatched)";
      box.appendChild(warn);
    }
  }

  function start() {
    var box = document.createElement("figure");
    box.className = "trend-chart";
    var anchor = document.querySelector("form.sql") || document.querySelector("form");
    if (!anchor) { return; }
    anchor.parentNode.insertBefore(box, anchor.nextSibling);
    fetch(jsonUrl()).then(function (r) { return r.json(); }).then(function (rows) {
      if (!Array.isArray(rows) || !rows.length) {
        box.textContent = "ไม่มีเรื่องในเขตและประเภทนี้ / No tickets for this district and type";
        return;
      }
      draw(rows, box);
    }).catch(function () { box.textContent = "วาดกราฟไม่ได้ / The chart could not be drawn"; });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
