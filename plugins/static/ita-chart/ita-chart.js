/* ITA ranking chart for the ita_ranking canned-query page (loaded there only, by plugins/ita_chart.py).
 * Fetches the page's own JSON (?_shape=array) and draws one horizontal bar per district office, scaled
 * 0-100, coloured by NACC level, with the pass mark (85) and the AA line (95). Illustrative rows are
 * hatched, marked "ข้อมูลตัวอย่าง / ILLUSTRATIVE" on the bar, left without a rank and counted in the caption. DOM built with createElement/textContent only: no innerHTML,
 * no inline script or style, so it runs under a strict Content-Security-Policy. */
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var LEVELS = ["AA", "A", "B", "C", "D", "E", "F"];
  var MARKS = [
    { score: 85, label: "ผ่าน / pass 85" },
    { score: 95, label: "AA 95" }
  ];
  var LAYOUT = { width: 760, top: 50, row: 18, bar: 13, left: 190, right: 60, bottom: 16 };
  var MARK = "ข้อมูลตัวอย่าง / ILLUSTRATIVE";

  function svg(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, String(attrs[key])); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function html(name, className, text) {
    var node = document.createElement(name);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function jsonUrl() {
    var params = new URLSearchParams(window.location.search);
    params.set("_shape", "array");
    return window.location.pathname.replace(/\/$/, "") + ".json?" + params.toString();
  }

  function levelClass(level) {
    return LEVELS.indexOf(level) >= 0 ? "ita-level-" + level : "ita-level-unknown";
  }

  function defs() {
    var d = svg("defs");
    var pattern = svg("pattern", {
      id: "ita-hatch", width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)"
    });
    pattern.appendChild(svg("line", { x1: 0, y1: 0, x2: 0, y2: 6, "class": "ita-hatch-line" }));
    d.appendChild(pattern);
    return d;
  }

  function chart(rows) {
    var L = LAYOUT;
    var plot = L.width - L.left - L.right;
    var height = L.top + rows.length * L.row + L.bottom;
    var x = function (score) { return L.left + plot * Math.max(0, Math.min(100, score)) / 100; };
    var year = rows.length ? rows[0].fiscal_year_be : "";
    var root = svg("svg", {
      viewBox: "0 0 " + L.width + " " + height, width: "100%", role: "img",
      "class": "ita-chart-svg", "aria-labelledby": "ita-chart-title"
    });
    root.appendChild(svg("title", { id: "ita-chart-title" },
      "อันดับคะแนน ITA ของสำนักงานเขต ปี " + year + " / ITA scores of district offices, " + year));
    root.appendChild(defs());
    if (rows.some(function (row) { return Number(row.is_illustrative) === 1; })) {
      root.appendChild(svg("text", { x: L.width - 4, y: 14, "class": "ita-watermark" }, MARK));
    }

    [0, 25, 50, 75, 100].forEach(function (tick) {
      root.appendChild(svg("line", { x1: x(tick), x2: x(tick), y1: L.top - 4, y2: height - L.bottom, "class": "ita-grid" }));
      root.appendChild(svg("text", { x: x(tick), y: L.top - 8, "class": "ita-tick" }, String(tick)));
    });
    // Reference lines above the tick row: the first label ends left of its line, the next starts right of it.
    MARKS.forEach(function (mark, i) {
      root.appendChild(svg("line", { x1: x(mark.score), x2: x(mark.score), y1: L.top - 34, y2: height - L.bottom, "class": "ita-mark" }));
      root.appendChild(svg("text", { x: x(mark.score) + (i ? 4 : -4), y: L.top - 26, "class": i ? "ita-mark-label" : "ita-mark-label ita-mark-label-left" }, mark.label));
    });

    rows.forEach(function (row, i) {
      var y = L.top + i * L.row;
      var illustrative = Number(row.is_illustrative) === 1;
      var group = svg("g", { "class": "ita-row" + (illustrative ? " ita-illustrative" : ""), "data-agency": row.agency_code });
      group.appendChild(svg("title", {},
        row.rank + ". " + row.district_th + " / " + row.district_en + ": " + Number(row.score).toFixed(2) +
        " (" + row.level + ")" + (illustrative ? " - ตัวอย่างประกอบ ไม่ใช่คะแนนจริง / illustrative, not official" : "")));
      // an illustrative row has no rank: the sample must not read as a ranking of real districts
      group.appendChild(svg("text", { x: L.left - 8, y: y + L.bar - 2, "class": "ita-label" },
        illustrative ? row.district_th : row.rank + "  " + row.district_th));
      var attrs = { x: x(0), y: y, width: Math.max(0, x(row.score) - x(0)), height: L.bar };
      group.appendChild(svg("rect", Object.assign({ "class": "ita-bar " + levelClass(row.level) }, attrs)));
      if (illustrative) {
        group.appendChild(svg("rect", Object.assign({ "class": "ita-bar-hatch", fill: "url(#ita-hatch)" }, attrs)));
        group.appendChild(svg("text", { x: x(0) + 4, y: y + L.bar - 3, "class": "ita-bar-mark" }, MARK));
      }
      group.appendChild(svg("text", { x: x(row.score) + 4, y: y + L.bar - 2, "class": "ita-value" },
        Number(row.score).toFixed(2) + " " + row.level));
      root.appendChild(group);
    });
    return root;
  }

  function legend(rows) {
    var list = html("ul", "ita-legend");
    LEVELS.filter(function (level) {
      return rows.some(function (row) { return row.level === level; });
    }).forEach(function (level) {
      var item = html("li");
      item.appendChild(html("span", "ita-swatch " + levelClass(level)));
      item.appendChild(document.createTextNode(level));
      list.appendChild(item);
    });
    var hatched = html("li");
    hatched.appendChild(html("span", "ita-swatch ita-swatch-hatch"));
    hatched.appendChild(document.createTextNode("ตัวอย่างประกอบ / illustrative"));
    list.appendChild(hatched);
    return list;
  }

  function caption(rows) {
    var year = rows.length ? rows[0].fiscal_year_be : "";
    var illustrative = rows.filter(function (row) { return Number(row.is_illustrative) === 1; }).length;
    var figcaption = html("figcaption", "ita-caption");
    figcaption.appendChild(html("strong", "",
      "อันดับ ITA ของสำนักงานเขต ปี " + year + " / ITA ranking of district offices, " + year));
    if (illustrative) {
      figcaption.appendChild(html("span", "ita-warning",
        "ตัวอย่างประกอบ: " + illustrative + " จาก " + rows.length + " แถวเป็นข้อมูลสมมติ ไม่ใช่คะแนนจริง / " +
        "Illustrative: " + illustrative + " of " + rows.length + " rows are a made-up sample, not official scores."));
    }
    return figcaption;
  }

  function start() {
    var figure = html("figure", "ita-chart");
    figure.id = "ita-chart";
    figure.setAttribute("aria-busy", "true");
    var anchor = document.querySelector(".table-wrapper") || document.querySelector("table.rows-and-columns");
    if (anchor && anchor.parentNode) {
      anchor.parentNode.insertBefore(figure, anchor);
    } else {
      (document.querySelector(".content") || document.body).appendChild(figure);
    }
    fetch(jsonUrl(), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (rows) {
        rows = rows.filter(function (row) { return row.score !== null && row.score !== undefined; });
        if (!rows.length) {
          figure.appendChild(html("p", "ita-empty", "ไม่มีข้อมูลสำหรับปีนี้ / No results for this year."));
        } else {
          figure.appendChild(caption(rows));
          figure.appendChild(legend(rows));
          figure.appendChild(chart(rows));
        }
        figure.setAttribute("aria-busy", "false");
        figure.setAttribute("data-rows", String(rows.length));
      })
      .catch(function (error) {
        figure.appendChild(html("p", "ita-error", "โหลดกราฟไม่สำเร็จ / The chart could not load: " + error.message));
        figure.setAttribute("aria-busy", "false");
      });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
