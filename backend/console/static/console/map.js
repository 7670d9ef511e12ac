/* The board's map (docs/console.md#the-map).
 *
 * Drawn only from what the board already shows: each card carries its stop (data-lat/lng), its lane
 * and its planned place (data-seq); each courier's lane head carries the last position. The map
 * never asks the server for anything: when board.js moves, replaces or removes cards and lane heads
 * (live refreshes, courier.location), a MutationObserver redraws, at most every REDRAW_MS. No tile
 * layer unless the station configured its own tile server (CONSOLE_TILE_URL).
 *
 * Selecting on the map selects cards (the same .selected class shift-click sets on the board), so
 * dragging one selected card onto a courier moves them all through the board's reassign:
 * click a stop to select it alone, shift-click to add or remove it, shift-drag a box to add every
 * stop inside it.
 */
(function () {
  "use strict";
  var REDRAW_MS = 150, CLICK_PX = 5;
  var PALETTE = ["#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777",
                 "#4f46e5", "#65a30d"];
  var board = document.getElementById("board"), el = document.getElementById("map");
  if (!board || !el || !window.L) return;

  var depot = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lng)];
  var tiles = el.dataset.tileUrl || "";
  // Canvas, not SVG: a station's day is thousands of stops, and one canvas draws them cheaply.
  var map = L.map(el, {boxZoom: false, preferCanvas: true, attributionControl: !!tiles, zoomSnap: 0.25});
  if (tiles) L.tileLayer(tiles, {attribution: el.dataset.tileAttribution || "", maxZoom: 19}).addTo(map);
  else el.classList.add("no-tiles");
  map.setView(depot, 13);
  L.control.scale({imperial: false}).addTo(map);
  var routes = L.layerGroup().addTo(map), stops = L.layerGroup().addTo(map), couriers = L.layerGroup().addTo(map);
  L.circleMarker(depot, {radius: 8, color: "#111827", weight: 2, fillColor: "#fbbf24", fillOpacity: 1,
                         interactive: false}).addTo(map);

  var markers = new Map();  // job id -> circle marker, as last drawn
  var state = window.parcelrunMap = {draws: 0, stops: 0, routes: {}, couriers: {}};
  var fitted = false, timer = null, last = 0;

  function colour(lane) {
    if (lane.indexOf("courier-") !== 0) return "#6b7280";
    return PALETTE[parseInt(lane.slice(8), 10) % PALETTE.length];
  }
  function cardOf(id) { return board.querySelector('.card[data-job="' + id + '"]'); }
  function latLng(node) {
    var lat = parseFloat(node.dataset.lat), lng = parseFloat(node.dataset.lng);
    return isNaN(lat) || isNaN(lng) ? null : [lat, lng];
  }
  function seqOf(card) { return card.dataset.seq === "" ? Infinity : +card.dataset.seq; }

  function draw() {
    timer = null; last = Date.now();
    routes.clearLayers(); stops.clearLayers(); couriers.clearLayers(); markers.clear();
    var byLane = {}, bounds = [depot];
    // Cards being dragged (Sortable's ghost and fallback clones) are not stops.
    board.querySelectorAll(".lane-body > .card[data-lat]:not(.sortable-ghost):not(.sortable-fallback)").forEach(function (card) {
      var lane = card.dataset.lane, at = latLng(card);
      if (!at || !lane || lane === "held") return;  // held parcels wait at the station
      (byLane[lane] = byLane[lane] || []).push(card);
      var selected = card.classList.contains("selected");
      var m = L.circleMarker(at, {radius: selected ? 8 : 6, color: selected ? "#111827" : "#ffffff",
                                  weight: selected ? 3 : 1.5, fillColor: colour(lane), fillOpacity: 0.9});
      m.bindTooltip(card.dataset.tracking + (isFinite(seqOf(card)) ? " #" + (seqOf(card) + 1) : ""));
      m.on("click", function (e) { pick([card.dataset.job], e.originalEvent.shiftKey); });
      m.addTo(stops); markers.set(card.dataset.job, m); bounds.push(at);
    });
    state.routes = {}; state.couriers = {};
    board.querySelectorAll(".lane-head[data-courier]").forEach(function (head) {
      var lane = "courier-" + head.dataset.courier, at = latLng(head);
      var line = (byLane[lane] || []).slice().sort(function (a, b) {
        return seqOf(a) - seqOf(b) || +a.dataset.job - +b.dataset.job;
      });
      state.routes[head.dataset.courier] = line.map(function (c) { return +c.dataset.job; });
      var path = line.map(latLng);
      if (at) path.unshift(at);  // from where the courier is, through the stops in planned order
      if (path.length > 1) L.polyline(path, {color: colour(lane), weight: 3, opacity: 0.7, interactive: false}).addTo(routes);
      if (!at) return;
      state.couriers[head.dataset.courier] = at;
      var icon = L.divIcon({className: "map-courier", iconSize: null,
                            html: '<span style="background:' + colour(lane) + '"></span>'});
      var name = head.querySelector(".name");
      L.marker(at, {icon: icon, title: (name ? name.textContent : "") + " " + (head.dataset.emp || ""),
                    keyboard: false})
        .on("click", function () { showLane(head.closest(".lane")); })
        .addTo(couriers);
      bounds.push(at);
    });
    state.stops = markers.size; state.draws += 1;
    // No zoom animation for the first fit: a stop clicked meanwhile would be hit where it was drawn before.
    if (!fitted && bounds.length > 1) { map.fitBounds(bounds, {padding: [24, 24], maxZoom: 16, animate: false}); fitted = true; }
  }

  function schedule() {
    if (!timer) timer = setTimeout(draw, Math.max(0, last + REDRAW_MS - Date.now()));
  }

  // -- selecting cards from the map ---------------------------------------------------------
  function pick(ids, add) {
    if (!add) board.querySelectorAll(".card.selected").forEach(function (c) { c.classList.remove("selected"); });
    ids.forEach(function (id) {
      var card = cardOf(id);
      if (!card) return;
      if (add && ids.length === 1) card.classList.toggle("selected"); else card.classList.add("selected");
    });
    var first = ids.length ? cardOf(ids[0]) : null;
    if (first) showLane(first.closest(".lane"));
  }
  // Scroll the board sideways to a lane, never the page up or down: the map must stay where it is.
  function showLane(lane) {
    if (!lane) return;
    var b = board.getBoundingClientRect(), l = lane.getBoundingClientRect();
    if (l.left < b.left || l.right > b.right) board.scrollLeft += l.left - b.left - 8;
  }
  state.pointOf = function (id) {  // for tests and tools: where a stop is drawn, in page pixels
    var m = markers.get(String(id)), box = el.getBoundingClientRect();
    if (!m) return null;
    var p = map.latLngToContainerPoint(m.getLatLng());
    return {x: box.left + p.x, y: box.top + p.y};
  };

  // Shift-drag draws a box (Leaflet's own box zoom is off). Listened to in the capture phase, so
  // the map does not start panning; a shift-press that does not move is left to the stop's click.
  var box = null, start = null, swallowClick = false;
  el.addEventListener("mousedown", function (e) {
    if (!e.shiftKey || e.button !== 0) return;
    e.stopPropagation(); e.preventDefault();
    var r = el.getBoundingClientRect();
    start = {x: e.clientX - r.left, y: e.clientY - r.top};
    document.addEventListener("mousemove", onMove); document.addEventListener("mouseup", onUp);
  }, true);
  el.addEventListener("click", function (e) {
    if (swallowClick) { swallowClick = false; e.stopPropagation(); }
  }, true);
  function onMove(e) {
    var r = el.getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top;
    if (!box && Math.abs(x - start.x) + Math.abs(y - start.y) < CLICK_PX) return;
    if (!box) { box = document.createElement("div"); box.className = "map-box"; el.appendChild(box); }
    box.style.left = Math.min(x, start.x) + "px"; box.style.top = Math.min(y, start.y) + "px";
    box.style.width = Math.abs(x - start.x) + "px"; box.style.height = Math.abs(y - start.y) + "px";
  }
  function onUp(e) {
    document.removeEventListener("mousemove", onMove); document.removeEventListener("mouseup", onUp);
    if (!box) return;  // a shift-click: the stop's own click handler adds it
    var r = el.getBoundingClientRect();
    var area = L.latLngBounds(map.containerPointToLatLng([start.x, start.y]),
                              map.containerPointToLatLng([e.clientX - r.left, e.clientY - r.top]));
    box.remove(); box = null; swallowClick = true;
    setTimeout(function () { swallowClick = false; }, 0);
    var inside = [];
    markers.forEach(function (m, id) { if (area.contains(m.getLatLng())) inside.push(id); });
    if (inside.length) pick(inside, true);
  }

  var clear = document.getElementById("map-clear");
  if (clear) clear.addEventListener("click", function () { pick([], false); });

  new MutationObserver(schedule).observe(board, {
    subtree: true, childList: true, attributes: true,
    attributeFilter: ["class", "data-lane", "data-seq", "data-lat", "data-lng", "data-version"],
  });
  draw();
})();
