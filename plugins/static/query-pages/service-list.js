/* nearest_service: the services to pick from, as a <datalist> on the service field, filled from the
 * health_services query (English name as the value, Thai name as its label; either may be typed).
 * Loaded by plugins/query_pages.py; DOM built with createElement only (strict CSP). */
(function () {
  "use strict";
  function start() {
    var input = document.querySelector('form input[name="service"]');
    if (!input) { return; }
    var list = document.createElement("datalist");
    list.id = "service-choices";
    input.setAttribute("list", list.id);
    input.setAttribute("placeholder", "เช่น Pride clinic / คลินิกสุขภาพเพศหลากหลาย");
    input.parentNode.appendChild(list);
    var path = window.location.pathname.replace(/\/nearest_service\/?$/, "/health_services.json?_shape=array");
    fetch(path).then(function (r) { return r.json(); }).then(function (rows) {
      rows.forEach(function (row) {
        [[row.service, row.service_th], [row.service_th, row.service]].forEach(function (pair) {
          var option = document.createElement("option");
          option.value = pair[0];
          option.label = pair[1] + " (" + row.places + " แห่ง / places)";
          list.appendChild(option);
        });
      });
      input.setAttribute("data-services", String(rows.length));
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
