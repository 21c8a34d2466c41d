// A small map of the row's point on a row page (row.html), with the Leaflet datasette-leaflet serves.
(function () {
  const el = document.getElementById("row-map");
  if (!el) return;
  const css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = el.dataset.leafletCss;
  document.head.appendChild(css);
  // datasette-leaflet serves Leaflet as an ES module (it sets window.L), loaded as the cluster map loads it
  import(el.dataset.leafletJs).then(function () {
    const lat = Number(el.dataset.latitude), lon = Number(el.dataset.longitude);
    L.Icon.Default.imagePath = el.dataset.leafletCss.replace(/[^/]*$/, "images/");
    const map = L.map(el, { scrollWheelZoom: false }).setView([lat, lon], 16);
    L.tileLayer(el.dataset.tiles, {
      maxZoom: 19,
      attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>',
    }).addTo(map);
    L.marker([lat, lon]).addTo(map);
    el.dataset.ready = "1";
  });
})();
