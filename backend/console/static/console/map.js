/* The board's map (docs/console.md#the-map).
 *
 * Drawn only from what the board already has: its model of every job on the board (board.js
 * ``stops``: lane, planned place, stop; the lanes render only their first cards, the map draws all
 * of them) and each courier's lane head with the last position. The map never asks the server for
 * anything: board.js says which jobs and heads a refresh changed (``board:stops``,
 * ``board:selection``, ``board:heads`` events) and the map redraws those, at most every REDRAW_MS.
 * No tile layer unless the station configured its own tile server (CONSOLE_TILE_URL).
 *
 * Selecting on the map selects jobs (the board's selection, which shift-click sets too), so
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
  var B = window.parcelrunBoard;
  if (!board || !el || !window.L || !B) return;

  var depot = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lng)];
  var tiles = el.dataset.tileUrl || "";
  // Canvas, not SVG: a station's day is thousands of stops, and one canvas draws them cheaply.
  var map = L.map(el, {boxZoom: false, preferCanvas: true, attributionControl: !!tiles, zoomSnap: 0.25});
  if (tiles) L.tileLayer(tiles, {attribution: el.dataset.tileAttribution || "", maxZoom: 19}).addTo(map);
  else el.classList.add("no-tiles");
  map.setView(depot, 13);
  L.control.scale({imperial: false}).addTo(map);
  // Feature groups, so one handler on each group serves all its markers (event delegation): a
  // handler per marker made the page's listeners depend on how many markers a redraw re-made.
  var routes = L.layerGroup().addTo(map), stops = L.featureGroup().addTo(map), couriers = L.featureGroup().addTo(map);
  L.circleMarker(depot, {radius: 8, color: "#111827", weight: 2, fillColor: "#fbbf24", fillOpacity: 1,
                         interactive: false}).addTo(map);

  // Drawn incrementally: a live refresh touches a few cards, and only their dots and their lanes'
  // routes are redrawn, so a station of thousands of stops stays cheap to keep live.
  var markers = new Map();  // job id -> {m: circle marker, lane, stop}
  var lines = new Map();  // lane key -> route polyline
  var heads = new Map();  // lane key -> the courier's last position, or null
  var dirtyCards = new Set(), dirtyLanes = new Set(), headsDirty = true;
  var state = window.parcelrunMap = {draws: 0, stops: 0, routes: {}, couriers: {}};
  var fitted = false, timer = null, last = 0;

  function colour(lane) {
    if (lane.indexOf("courier-") !== 0) return "#6b7280";
    return PALETTE[parseInt(lane.slice(8), 10) % PALETTE.length];
  }
  function cardOf(id) { return board.querySelector('.card[data-job="' + id + '"]:not(.sortable-fallback)'); }
  function latLng(node) {
    var lat = parseFloat(node.dataset.lat), lng = parseFloat(node.dataset.lng);
    return isNaN(lat) || isNaN(lng) ? null : [lat, lng];
  }
  function seqOf(stop) { return stop.seq === null || stop.seq === undefined ? Infinity : +stop.seq; }
  function label(stop) { return stop.tn + (isFinite(seqOf(stop)) ? " #" + (seqOf(stop) + 1) : ""); }

  function look(id, lane) {
    var selected = B.selected.has(id);
    return {radius: selected ? 8 : 6, color: selected ? "#111827" : "#ffffff", weight: selected ? 3 : 1.5,
            fillColor: colour(lane), fillOpacity: 0.9};
  }

  function upsert(id) {
    var stop = B.stops.get(id), entry = markers.get(id), lane = stop ? stop.lane : "";
    var at = stop && lane !== "held" && stop.lat !== null && stop.lng !== null ? [stop.lat, stop.lng] : null;  // held: at the station
    if (entry) dirtyLanes.add(entry.lane);
    if (!at) {
      if (entry) { stops.removeLayer(entry.m); markers.delete(id); }
      return;
    }
    if (!entry) {
      // The tooltip is made on the first hover: thousands of stops, few of them ever hovered.
      entry = {m: L.circleMarker(at, look(id, lane))};
      entry.m.jobId = id;
      entry.m.addTo(stops); markers.set(id, entry);
    } else {
      entry.m.setLatLng(at); entry.m.setStyle(look(id, lane));
      if (entry.m.getTooltip()) entry.m.setTooltipContent(label(stop));
    }
    entry.lane = lane; entry.stop = stop; dirtyLanes.add(lane);
  }

  // Each courier's marker is made once and then moved: every live refresh replaces the lane heads
  // (and a location ping changes one), and re-making 50 markers each time also re-made their
  // icons' DOM listeners, so the page's listener count swung with when it was sampled.
  var pins = new Map();  // lane key -> {m: marker, title}
  function drawCouriers() {
    state.couriers = {};
    heads.forEach(function (_, lane) { dirtyLanes.add(lane); });
    heads.clear();
    board.querySelectorAll(".lane-head[data-courier]").forEach(function (head) {
      var lane = "courier-" + head.dataset.courier, at = latLng(head);
      heads.set(lane, at); dirtyLanes.add(lane);
      if (!at) return;
      state.couriers[head.dataset.courier] = at;
      var name = head.querySelector(".name");
      var title = (name ? name.textContent : "") + " " + (head.dataset.emp || ""), pin = pins.get(lane);
      if (pin && pin.title !== title) { couriers.removeLayer(pin.m); pin = null; }  // the title is set once
      if (pin) { pin.m.setLatLng(at); return; }
      var icon = L.divIcon({className: "map-courier", iconSize: null,
                            html: '<span style="background:' + colour(lane) + '"></span>'});
      // Not focusable (keyboard: false), so no pan-on-focus listener on the icon.
      var m = L.marker(at, {icon: icon, title: title, keyboard: false, autoPanOnFocus: false});
      m.lane = lane; m.addTo(couriers); pins.set(lane, {m: m, title: title});
    });
    pins.forEach(function (pin, lane) {
      if (!heads.get(lane)) { couriers.removeLayer(pin.m); pins.delete(lane); }
    });
  }

  function drawRoutes() {
    var byLane = {};
    markers.forEach(function (entry, id) {
      if (dirtyLanes.has(entry.lane)) (byLane[entry.lane] = byLane[entry.lane] || []).push(id);
    });
    dirtyLanes.forEach(function (lane) {
      if (lines.has(lane)) { routes.removeLayer(lines.get(lane)); lines.delete(lane); }
      if (!heads.has(lane)) { delete state.routes[lane.slice(8)]; return; }  // not a courier's lane
      var line = (byLane[lane] || []).sort(function (a, b) {
        return seqOf(markers.get(a).stop) - seqOf(markers.get(b).stop) || +a - +b;
      });
      state.routes[lane.slice(8)] = line.map(Number);
      var path = line.map(function (id) { return markers.get(id).m.getLatLng(); }), at = heads.get(lane);
      if (at) path.unshift(at);  // from where the courier is, through the stops in planned order
      if (path.length < 2) return;
      lines.set(lane, L.polyline(path, {color: colour(lane), weight: 3, opacity: 0.7, interactive: false}).addTo(routes));
    });
    dirtyLanes.clear();
  }

  function draw() {
    timer = null; last = Date.now();
    var t0 = performance.now();
    dirtyCards.forEach(upsert); dirtyCards.clear();
    if (headsDirty) { headsDirty = false; drawCouriers(); }
    drawRoutes();
    state.stops = markers.size; state.draws += 1; state.drawMs = performance.now() - t0;
    if (!fitted) {
      fitted = true;
      var bounds = [depot];
      markers.forEach(function (entry) { bounds.push(entry.m.getLatLng()); });
      heads.forEach(function (at) { if (at) bounds.push(at); });
      // No zoom animation: a stop clicked meanwhile would be hit where it was drawn before.
      if (bounds.length > 1) map.fitBounds(bounds, {padding: [24, 24], maxZoom: 16, animate: false});
    }
  }

  function schedule() {
    if (!timer) timer = setTimeout(draw, Math.max(0, last + REDRAW_MS - Date.now()));
  }

  // What board.js changed: jobs (moved, replaced, gone, (de)selected) and lane heads.
  function noted(e) { e.detail.ids.forEach(function (id) { dirtyCards.add(id); }); schedule(); }
  board.addEventListener("board:stops", noted);
  board.addEventListener("board:selection", noted);
  board.addEventListener("board:heads", function () { headsDirty = true; schedule(); });

  // -- selecting cards from the map ---------------------------------------------------------
  stops.on("click", function (e) { pick([e.layer.jobId], e.originalEvent.shiftKey); });
  stops.on("mouseover", function (e) {  // the tooltip is made on the first hover
    var entry = markers.get(e.layer.jobId);
    if (entry && !entry.m.getTooltip()) entry.m.bindTooltip(label(entry.stop)).openTooltip();
  });
  couriers.on("click", function (e) {
    var lane = board.querySelector('section[data-lane="' + e.layer.lane + '"]');
    showLane(lane);
  });

  function pick(ids, add) {
    B.select(ids, !add ? "set" : ids.length === 1 ? "toggle" : "add");
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
    var entry = markers.get(String(id)), box = el.getBoundingClientRect();
    if (!entry) return null;
    var p = map.latLngToContainerPoint(entry.m.getLatLng());
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
    markers.forEach(function (entry, id) { if (area.contains(entry.m.getLatLng())) inside.push(id); });
    if (inside.length) pick(inside, true);
  }

  var clear = document.getElementById("map-clear");
  if (clear) clear.addEventListener("click", function () { pick([], false); });

  state.pick = pick;
  B.stops.forEach(function (_, id) { dirtyCards.add(id); });
  draw();
})();
