/* The live board (docs/console.md).
 *
 * The server renders every card and lane head; this script only moves them. A feed message names a
 * job; the job's card and all lane heads are fetched again, re-rendered by the same templates (one
 * source for labels, masking and flags), at most FLUSH_MS apart, so a storm of job.planned
 * messages (or a route.planned naming a whole route's jobs) costs a few requests a second, not one
 * per message. A drop onto a courier asks for a
 * reason and posts to the reassign view, which calls the one reassignment service.
 */
(function () {
  "use strict";
  var FLUSH_MS = 250, OFFLINE_MS = 60000;
  var board = document.getElementById("board");
  if (!board) return;
  var code = board.dataset.station, cardsUrl = board.dataset.cardsUrl, reassignUrl = board.dataset.reassignUrl;
  var unassignUrl = board.dataset.unassignUrl;
  var csrf = board.querySelector("input[name=csrfmiddlewaretoken]").value;
  var cursor = parseInt(board.dataset.cursor, 10) || 0;
  var clockSkew = Date.parse(board.dataset.now) - Date.now();
  var pending = new Set(), flushing = false, lastFlush = 0, timer = null;
  var conflicts = new Map();  // job id -> message: kept until the supervisor dismisses it
  var live = document.getElementById("live");
  window.parcelrunBoard = {flushes: 0, messages: 0};

  function cardOf(id) { return board.querySelector('.card[data-job="' + id + '"]'); }
  function bodyOf(lane) { return board.querySelector('[data-lane-body="' + lane + '"]'); }

  function showConflict(card) {
    var msg = conflicts.get(card.dataset.job), box = card.querySelector(".card-alert");
    if (!box) return;
    box.hidden = !msg; box.textContent = msg || "";
    card.classList.toggle("conflict", !!msg);
  }

  function place(card) {
    var old = cardOf(card.dataset.job);
    var body = card.dataset.lane ? bodyOf(card.dataset.lane) : null;
    if (old) { if (old.classList.contains("selected")) card.classList.add("selected"); old.remove(); }
    if (!body) return;
    var seq = card.dataset.seq === "" ? Infinity : +card.dataset.seq, id = +card.dataset.job;
    var before = Array.prototype.find.call(body.children, function (c) {
      var s = c.dataset.seq === "" ? Infinity : +c.dataset.seq;
      return s > seq || (s === seq && +c.dataset.job > id);
    });
    body.insertBefore(card, before || null);
    showConflict(card);
  }

  function recount() {
    ["unassigned", "held"].forEach(function (key) {
      var head = board.querySelector('[data-lane-head="' + key + '"] .count');
      if (head) head.textContent = bodyOf(key).children.length;
    });
  }

  function apply(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    doc.querySelectorAll("section.lane").forEach(function (lane) {
      var key = lane.dataset.lane, head = lane.querySelector(".lane-head");
      var mine = board.querySelector('section[data-lane="' + key + '"]');
      if (!mine) {  // a courier came on duty: a new lane
        mine = document.importNode(lane, true);
        var body = document.createElement("div");
        body.className = "lane-body"; body.dataset.laneBody = key;
        mine.appendChild(body); board.appendChild(mine); makeSortable(body);
      } else if (key !== "unassigned" && key !== "held") {
        mine.querySelector(".lane-head").replaceWith(document.importNode(head, true));
      }
    });
    doc.querySelectorAll(".card").forEach(function (c) { place(document.importNode(c, true)); });
    // Every lane comes with each refresh: a courier lane missing from it has left the board (off
    // duty or unavailable with nothing left), as it would on a reload.
    board.querySelectorAll("section.courier-lane").forEach(function (lane) {
      if (!doc.querySelector('section[data-lane="' + lane.dataset.lane + '"]') && !lane.querySelector(".card")) lane.remove();
    });
    recount(); markOffline();
  }

  function refresh(ids) {
    ids.forEach(function (id) { pending.add(String(id)); });
    schedule();
  }

  function schedule() {
    if (timer || flushing || pending.size === 0) return;
    timer = setTimeout(flush, Math.max(0, lastFlush + FLUSH_MS - Date.now()));
  }

  function flush() {
    timer = null;
    var ids = Array.from(pending); pending.clear();
    if (!ids.length) return;
    flushing = true; lastFlush = Date.now();
    fetch(cardsUrl + "?jobs=" + ids.join(","), {credentials: "same-origin"})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) { apply(html); window.parcelrunBoard.flushes += 1; })
      .catch(function () { ids.forEach(function (id) { pending.add(id); }); })
      .finally(function () { flushing = false; schedule(); });
  }

  // -- selection and drag ------------------------------------------------------------------
  board.addEventListener("click", function (e) {
    var alert = e.target.closest(".card-alert");
    if (alert) { var c = alert.closest(".card"); conflicts.delete(c.dataset.job); showConflict(c); return; }
    var card = e.target.closest(".card");
    if (card && e.shiftKey) { card.classList.toggle("selected"); e.preventDefault(); }
  });

  var dialog = document.getElementById("reason-dialog"), reasonInput = document.getElementById("reason-input");
  function askReason(text) {
    return new Promise(function (resolve) {
      dialog.querySelector(".what").textContent = text;
      reasonInput.value = "";
      dialog.onclose = function () { resolve(dialog.returnValue === "ok" ? reasonInput.value.trim() : null); };
      dialog.returnValue = "";
      dialog.showModal();
    });
  }

  function onDrop(evt) {
    var dragged = evt.item, to = evt.to.dataset.laneBody, from = evt.from;
    var unassign = to === "unassigned", courier = parseInt(to.replace("courier-", ""), 10);
    var cards = dragged.classList.contains("selected")
      ? Array.from(board.querySelectorAll(".card.selected")) : [dragged];
    var putBack = function () { from.insertBefore(dragged, from.children[evt.oldIndex] || null); };
    var name = board.querySelector('[data-lane-head="' + to + '"] ' + (unassign ? ".lane-title" : ".name"));
    askReason(cards.length + " → " + (name ? name.firstChild.textContent.trim() : to)).then(function (reason) {
      if (!reason) { putBack(); return; }
      var form = new URLSearchParams();
      if (!unassign) form.set("courier", courier);
      form.set("reason", reason);
      form.set("jobs", cards.map(function (c) { return c.dataset.job + ":" + c.dataset.version; }).join(","));
      return fetch(unassign ? unassignUrl : reassignUrl, {method: "POST", credentials: "same-origin", body: form,
                                 headers: {"X-CSRFToken": csrf}})
        .then(function (r) { return r.json().then(function (body) { return [r.status, body]; }); })
        .then(function (res) {
          var status = res[0], body = res[1];
          if (status === 200) {
            cards.forEach(function (c) {  // by id: a feed refresh may have replaced the element meanwhile
              var now = cardOf(c.dataset.job) || c;
              now.classList.remove("selected"); conflicts.delete(c.dataset.job); showConflict(now);
            });
          } else {
            if (cardOf(dragged.dataset.job) === dragged) putBack();
            var listed = (body.details && body.details.conflicts) || [];
            listed.forEach(function (c) { conflicts.set(String(c.job_id), c.message); });
            if (!listed.length) cards.forEach(function (c) { conflicts.set(c.dataset.job, body.message); });
            cards.forEach(function (c) { var now = cardOf(c.dataset.job); if (now) showConflict(now); });
          }
          refresh(cards.map(function (c) { return c.dataset.job; }));
        });
    }).catch(function () { putBack(); });
  }

  function makeSortable(body) {
    // Cards can be dropped on a courier (reassign) or on the unassigned lane (back to the queue).
    var isCourier = body.dataset.laneBody.indexOf("courier-") === 0 || body.dataset.laneBody === "unassigned";
    // forceFallback: Sortable's own mouse/touch dragging instead of HTML5 drag and drop, which
    // behaves the same in every browser and on a station's touch screen.
    Sortable.create(body, {group: {name: "board", pull: true, put: isCourier}, sort: false,
                           animation: 100, forceFallback: true, onAdd: onDrop});
  }
  board.querySelectorAll(".lane-body").forEach(makeSortable);

  // -- offline badges ----------------------------------------------------------------------
  function markOffline() {
    var now = Date.now() + clockSkew;
    board.querySelectorAll(".lane-head[data-courier]").forEach(function (head) {
      var seen = Date.parse(head.dataset.lastSeen || "");
      head.querySelector(".badge.offline").hidden = !(isNaN(seen) || now - seen > OFFLINE_MS);
    });
  }
  setInterval(markOffline, 5000);

  // -- the station feed ---------------------------------------------------------------------
  var retry = 1000;
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + location.host + "/ws/station/" + encodeURIComponent(code) + "/?cursor=" + cursor);
    ws.onopen = function () { retry = 1000; };
    ws.onmessage = function (e) {
      var m = JSON.parse(e.data), p = m.payload || {};
      window.parcelrunBoard.messages += 1;
      if (typeof m.cursor === "number" && m.cursor > cursor && m.type !== "ping" && m.type !== "session.ready") cursor = m.cursor;
      if (m.type === "session.ready") { live.dataset.state = "live"; live.textContent = live.dataset.live; }
      else if (m.type === "ping") { ws.send(JSON.stringify({type: "pong", cursor: cursor})); }
      else if (p.job) { refresh([p.job.id]); }
      else if (p.route) { refresh(p.route.jobs.map(function (j) { return j.id; })); }
      else if (p.job_id) { refresh([p.job_id]); }
      else if (m.type.indexOf("shipment.") === 0) {
        var tn = p.tracking_no || (p.shipment && p.shipment.tracking_no);
        board.querySelectorAll('.card[data-tracking="' + tn + '"]').forEach(function (c) { refresh([c.dataset.job]); });
      } else if (m.type === "courier.location") {
        var head = board.querySelector('.lane-head[data-courier="' + p.courier_id + '"]');
        if (head) {
          head.dataset.lastSeen = m.at;
          head.dataset.lat = p.lat; head.dataset.lng = p.lng;  // map.js watches these
          head.querySelector(".loc").textContent = p.lat.toFixed(5) + ", " + p.lng.toFixed(5);
          markOffline();
        }
      } else if (m.type === "error" && p.details && p.details.close_code === 4410) { location.reload(); }
    };
    ws.onclose = function (e) {
      live.dataset.state = "offline"; live.textContent = live.dataset.offline;
      if (e.code === 4401 || e.code === 4403 || e.code === 4404) return;
      setTimeout(connect, retry); retry = Math.min(retry * 2, 15000);
    };
  }
  connect();
})();
