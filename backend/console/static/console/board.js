/* The live board (docs/console.md).
 *
 * A station's day is thousands of jobs: each lane renders its first cards only (a "more" button
 * fetches the next page), and every job on the board is kept in a small model (``stops``: lane,
 * planned place, stop, version) that the map draws and the selection uses. The selection is a set
 * of job ids, so a box drawn on the map selects jobs whose cards are not rendered, and dragging one
 * selected card moves them all.
 *
 * The server renders every card and lane head; this script only moves them. A feed message names a
 * job; the job's card and all lane heads are fetched again, re-rendered by the same templates (one
 * source for labels, masking and flags), at most FLUSH_MS apart, so a storm of job.planned
 * messages (or a route.planned naming a whole route's jobs) costs a few requests a second, not one
 * per message. A drop onto a courier asks for a
 * reason and posts to the reassign view, which calls the one reassignment service and answers with
 * the same partial for the jobs it moved, rendered after its commit: the page applies that at once.
 *
 * Each partial says the feed cursor it was read at. A message at or below it for a job the partial
 * covered is already on the page, so it asks for nothing (a 200-job move is followed by 200+
 * job.assigned messages; they used to fetch the 200 cards a second time). A partial older than
 * one already applied for a job is not applied to it (two requests in flight may answer out of
 * order). Listeners are on the board itself (delegation), never on cards or lane heads, which
 * every refresh replaces.
 */
(function () {
  "use strict";
  var FLUSH_MS = 250, QUIET_MS = 2000, OFFLINE_MS = 60000;
  var board = document.getElementById("board");
  if (!board) return;
  var code = board.dataset.station, cardsUrl = board.dataset.cardsUrl, reassignUrl = board.dataset.reassignUrl;
  var unassignUrl = board.dataset.unassignUrl, laneUrl = board.dataset.laneUrl;
  var lanePage = parseInt(board.dataset.lanePage, 10) || 12;
  var csrf = board.querySelector("input[name=csrfmiddlewaretoken]").value;
  var cursor = parseInt(board.dataset.cursor, 10) || 0;
  var clockSkew = Date.parse(board.dataset.now) - Date.now();
  var pending = new Set(), flushing = false, lastFlush = 0, timer = null, timerDue = 0, quiet = null;
  var ON_BOARD = ["pending", "assigned", "accepted", "started", "arrived", "failed"];
  var day = board.dataset.day;
  var conflicts = new Map();  // job id -> message: kept until the supervisor dismisses it
  var live = document.getElementById("live");
  var stops = new Map();  // job id -> {lane, seq, lat, lng, v, tn}: every job on the board
  var selected = new Set();  // job ids
  // job id -> the feed cursor of the partial last applied for it; headAt: lane key -> the same for
  // its head; headsAt: the newest partial applied.
  var renderedAt = new Map(), headAt = new Map(), headsAt = -1;
  var moving = null, held = [];  // the job ids of a move being posted; their messages meanwhile
  // applyMs: how long the page took to apply each of its last refreshes (bench/console.py reads it).
  var api = window.parcelrunBoard = {flushes: 0, messages: 0, applyMs: [], stops: stops, selected: selected};

  function cardOf(id) { return board.querySelector('.card[data-job="' + id + '"]:not(.sortable-fallback)'); }
  // Every card rendered by job id, found in one pass: for hundreds of ids (a move's selection) one
  // query of the board per id cost ~12 ms of the ~40 ms the page took to apply a 200-job answer
  // (bench/console.py, load 5-7); posting the move and clearing the selection made 200 such queries too.
  function cardIndex() {
    var index = new Map();
    board.querySelectorAll(".card:not(.sortable-fallback)").forEach(function (c) { index.set(c.dataset.job, c); });
    return index;
  }
  function bodyOf(lane) { return board.querySelector('[data-lane-body="' + lane + '"]'); }
  function tell(name, ids) { board.dispatchEvent(new CustomEvent(name, {detail: {ids: ids}})); }

  function learn(rows) {  // [id, lane, seq, lat, lng, version, tracking] rows from the server
    var ids = [];
    rows.forEach(function (r) {
      var id = String(r[0]);
      if (r[1]) stops.set(id, {lane: r[1], seq: r[2], lat: r[3], lng: r[4], v: r[5], tn: r[6]});
      else { stops.delete(id); selected.delete(id); }
      ids.push(id);
    });
    tell("board:stops", ids);
  }
  learn(JSON.parse(document.getElementById("board-stops").textContent));

  // The selection: add or remove ids, or replace it; cards rendered show it.
  function select(ids, mode) {  // mode: "set", "add", "toggle"
    var touched = [];
    if (mode === "set") { selected.forEach(function (id) { touched.push(id); }); selected.clear(); }
    ids.forEach(function (id) {
      id = String(id);
      if (mode === "toggle" && selected.has(id)) selected.delete(id); else if (stops.has(id)) selected.add(id);
      touched.push(id);
    });
    var touchedSet = new Set(touched);
    cardIndex().forEach(function (c, id) { if (touchedSet.has(id)) c.classList.toggle("selected", selected.has(id)); });
    tell("board:selection", touched);
  }
  api.select = select;

  function showConflict(card) {
    var msg = conflicts.get(card.dataset.job), box = card.querySelector(".card-alert");
    if (!box) return;
    box.hidden = !msg; box.textContent = msg || "";
    card.classList.toggle("conflict", !!msg);
  }

  // A card goes to its place in its lane, unless that place is past the cards rendered of a lane
  // that does not show them all: then it waits for the lane's "more" button, like the others there.
  function place(card) {
    var old = cardOf(card.dataset.job);
    var body = card.dataset.lane ? bodyOf(card.dataset.lane) : null;
    card.classList.toggle("selected", selected.has(card.dataset.job));
    if (old) old.remove();
    if (!body) return;
    var seq = card.dataset.seq === "" ? Infinity : +card.dataset.seq, id = +card.dataset.job;
    var before = Array.prototype.find.call(body.children, function (c) {
      var s = c.dataset.seq === "" ? Infinity : +c.dataset.seq;
      return s > seq || (s === seq && +c.dataset.job > id);
    });
    if (!before && !body.hasAttribute("data-complete")) return;
    body.insertBefore(card, before || null);
    showConflict(card);
  }

  function hidden(body) {
    var head = board.querySelector('[data-lane-head="' + body.dataset.laneBody + '"]');
    return head ? Math.max(0, (+head.dataset.total || 0) - body.children.length) : 0;
  }

  // Each lane's "more" button says how many of its cards are not rendered. A lane showing all its
  // cards is "complete" (data-complete) and stays so: it takes every card that comes to it.
  // A lane whose rendered cards left (moved, delivered) is topped up to a page from the server.
  function recount() {
    board.querySelectorAll("button.more[data-more]").forEach(function (button) {
      var body = bodyOf(button.dataset.more), n = hidden(body);
      if (n === 0) body.dataset.complete = "";
      button.hidden = n === 0;
      button.textContent = board.dataset.moreLabel.replace("__N__", n);
      if (n > 0 && body.children.length < lanePage && !body.hasAttribute("data-complete")) more(button);
    });
  }

  board.addEventListener("click", function (e) {
    var button = e.target.closest("button.more[data-more]");
    if (button) more(button);
  });

  function more(button) {
    if (button.disabled) return;
    var body = bodyOf(button.dataset.more);
    button.disabled = true;
    fetch(laneUrl + "?lane=" + encodeURIComponent(button.dataset.more) + "&offset=" + body.children.length,
          {credentials: "same-origin"})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var added = 0;
        doc.querySelectorAll(".card").forEach(function (c) {
          var card = document.importNode(c, true);
          if (cardOf(card.dataset.job)) return;
          card.classList.toggle("selected", selected.has(card.dataset.job));
          body.appendChild(card); showConflict(card); added += 1;
        });
        if (!added) body.dataset.complete = "";  // nothing further: the counts were ahead of the rows
        button.disabled = false;
        recount();
      })
      .catch(function () { button.disabled = false; });
  }

  // Applies a partial (_changes.html): lane heads, the model's rows, the cards. Returns its cursor.
  function apply(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var at = +doc.querySelector("[data-cursor]").dataset.cursor;
    var newer = function (id) { return renderedAt.has(id) && renderedAt.get(id) > at; };
    var rows = doc.getElementById("changes-stops");
    rows = rows ? JSON.parse(rows.textContent).filter(function (r) { return !newer(String(r[0])); }) : [];
    var cards = Array.prototype.filter.call(doc.querySelectorAll(".card"), function (c) { return !newer(c.dataset.job); });
    var carded = new Set(cards.map(function (c) { return c.dataset.job; }));
    rows.forEach(function (r) { renderedAt.set(String(r[0]), at); });
    var whole = doc.querySelector("[data-cursor]").hasAttribute("data-whole") && at >= headsAt;
    heads(doc, at);
    headsAt = Math.max(headsAt, at);
    learn(rows);
    // A move's answer has cards only for the jobs that land among the cards shown: the others'
    // cards leave the lane they were in (they are further down their new lane).
    var index = cardIndex();
    rows.forEach(function (r) {
      var id = String(r[0]), old = carded.has(id) ? null : index.get(id);
      if (old && old.dataset.lane !== (r[1] || "")) old.remove();
    });
    cards.forEach(function (c) { place(document.importNode(c, true)); });
    // Every lane comes with each refresh (a move's answer has only the lanes it touched): a courier
    // lane missing from it has left the board (off duty or unavailable with nothing left), as it
    // would on a reload.
    if (whole) {
      board.querySelectorAll("section.courier-lane").forEach(function (lane) {
        if (!doc.querySelector('section[data-lane="' + lane.dataset.lane + '"]') && !lane.querySelector(".card")) lane.remove();
      });
    }
    recount(); markOffline(); tell("board:heads", []);
    return at;
  }

  // The partial's lane heads, each unless a newer one is on the page.
  function heads(doc, at) {
    doc.querySelectorAll("section.lane").forEach(function (lane) {
      var key = lane.dataset.lane, head = lane.querySelector(".lane-head");
      if (headAt.has(key) && headAt.get(key) > at) return;
      headAt.set(key, at);
      var mine = board.querySelector('section[data-lane="' + key + '"]');
      if (!mine) {  // a courier came on duty: a new lane
        mine = document.importNode(lane, true);
        var body = document.createElement("div");
        body.className = "lane-body"; body.dataset.laneBody = key;
        mine.appendChild(body); board.appendChild(mine); makeSortable(body); body.dataset.complete = "";
        var more = document.createElement("button");
        more.type = "button"; more.className = "more"; more.dataset.more = key; more.hidden = true;
        mine.appendChild(more);
      } else {
        mine.querySelector(".lane-head").replaceWith(document.importNode(head, true));
      }
    });
  }

  // A message at or below the cursor of a partial applied for its job is on the page already.
  function shown(id, at) { return typeof at === "number" && renderedAt.has(id) && at <= renderedAt.get(id); }

  function refresh(ids) {
    ids.forEach(function (id) { pending.add(String(id)); });
    schedule();
  }

  // A refresh for lane heads alone (a change the page cannot see) waits up to QUIET_MS: it only
  // updates counters, and it must not hold up the refresh of a card on screen.
  function schedule() {
    if (flushing || (pending.size === 0 && quiet === null)) return;
    var due = lastFlush + (pending.size ? FLUSH_MS : QUIET_MS);
    if (timer && due >= timerDue) return;
    clearTimeout(timer);
    timerDue = due;
    timer = setTimeout(flush, Math.max(0, due - Date.now()));
  }

  function flush() {
    timer = null;
    var ids = Array.from(pending); pending.clear();
    if (!ids.length && quiet !== null) ids = [quiet];  // only the lane heads are out of date
    quiet = null;
    if (!ids.length) return;
    flushing = true; lastFlush = Date.now();
    fetch(cardsUrl + "?jobs=" + ids.join(","), {credentials: "same-origin"})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        var t = performance.now(), stats = window.parcelrunBoard;
        apply(html);
        stats.flushes += 1; stats.applyMs.push(performance.now() - t);
        if (stats.applyMs.length > 200) stats.applyMs.shift();
      })
      .catch(function () { ids.forEach(function (id) { pending.add(id); }); })
      .finally(function () { flushing = false; schedule(); });
  }

  // A job's change the page cannot see needs no card: the job has no card on the page and, by its
  // snapshot in the message, stays in its lane past the lane's rendered cards, or leaves the board.
  // The model takes the change (the map redraws it) and only the lane heads are fetched again, so
  // the re-plan after a delivery (a job.planned for each of the courier's 200 jobs) costs a refresh
  // of the dozen cards on screen, not of 200.
  function laneOf(j) {
    var onBoard = ON_BOARD.indexOf(j.status) >= 0;
    if (j.shipment && j.shipment.status === "held" && onBoard) return "held";
    if (j.service_date !== day || !onBoard) return "";
    return j.courier_id ? "courier-" + j.courier_id : "unassigned";
  }
  function pastRendered(lane, seq, id) {
    var body = bodyOf(lane), last = body && body.lastElementChild;
    if (!body || body.hasAttribute("data-complete") || !last) return false;
    var s = seq === null ? Infinity : seq, l = last.dataset.seq === "" ? Infinity : +last.dataset.seq;
    return s > l || (s === l && id > +last.dataset.job);
  }
  function onJob(j, at) {
    var id = String(j.id);
    if (shown(id, at)) return;
    var had = stops.get(id), lane = laneOf(j), card = cardOf(id);
    if (card && !lane) {
      // The snapshot says the job left the board (delivered, cancelled, another day): its card goes
      // now, as the refresh would take it away, and the lane heads follow with that refresh. Waiting
      // for the refresh put the server's recount of every lane (and any refresh in flight) between
      // a delivery and the card leaving.
      card.remove(); stops.delete(id); selected.delete(id); tell("board:stops", [id]);
      refresh([id]); return;
    }
    if (card || !had || (lane && (lane !== had.lane || !pastRendered(lane, j.planned_seq, j.id)))) {
      refresh([id]); return;
    }
    if (lane) stops.set(id, {lane: lane, seq: j.planned_seq, lat: j.lat, lng: j.lng, v: j.version, tn: had.tn});
    else { stops.delete(id); selected.delete(id); }
    if (typeof at === "number") renderedAt.set(id, at);  // a partial read before it is older for this job
    tell("board:stops", [id]);
    quiet = id; schedule();
  }

  // A re-plan's one row for a route: cards on screen are refreshed; for the others only the map's
  // order changes (their lane stays the courier's), so a re-plan never floods the page.
  function onRoute(jobs, at) {
    var ids = [], moved = [];
    jobs.forEach(function (j) {
      var id = String(j.id), had = stops.get(id);
      if (shown(id, at)) return;
      if (cardOf(id)) ids.push(id);
      else if (had) { had.seq = j.planned_seq; moved.push(id); }
    });
    if (ids.length) refresh(ids);
    if (moved.length) tell("board:stops", moved);
  }

  // -- selection and drag ------------------------------------------------------------------
  board.addEventListener("click", function (e) {
    var alert = e.target.closest(".card-alert");
    if (alert) { var c = alert.closest(".card"); conflicts.delete(c.dataset.job); showConflict(c); return; }
    var card = e.target.closest(".card");
    if (card && e.shiftKey) { select([card.dataset.job], "toggle"); e.preventDefault(); }
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
    // The selection moves together, its cards rendered or not, each with the version the page has.
    var ids = selected.has(dragged.dataset.job) ? Array.from(selected) : [dragged.dataset.job];
    var versionOf = function (index, id) {  // the version shown when the reason is given
      var c = index.get(id), s = stops.get(id);
      return c ? c.dataset.version : (s ? s.v : "");
    };
    var putBack = function () { from.insertBefore(dragged, from.children[evt.oldIndex] || null); };
    var name = board.querySelector('[data-lane-head="' + to + '"] ' + (unassign ? ".lane-title" : ".name"));
    askReason(ids.length + " → " + (name ? name.firstChild.textContent.trim() : to)).then(function (reason) {
      if (!reason) { putBack(); return; }
      var form = new URLSearchParams();
      if (!unassign) form.set("courier", courier);
      form.set("reason", reason);
      var index = cardIndex();
      form.set("jobs", ids.map(function (id) { return id + ":" + versionOf(index, id); }).join(","));
      // How many cards the page shows of the receiving lane (the dropped one aside), unless all.
      if (!evt.to.hasAttribute("data-complete")) {
        form.set("shown", Array.prototype.filter.call(evt.to.children, function (c) { return c !== dragged; }).length);
      }
      moving = new Set(ids);  // their messages wait for the answer, which shows them already
      return fetch(unassign ? unassignUrl : reassignUrl, {method: "POST", credentials: "same-origin", body: form,
                                 headers: {"X-CSRFToken": csrf}})
        .then(function (r) { return r.json().then(function (body) { return [r.status, body]; }); })
        .then(function (res) {
          var status = res[0], body = res[1];
          if (status === 200) {
            // The answer is the partial a refresh of these jobs would fetch, read after the move.
            if (body.changes) apply(body.changes); else refresh(ids);
            select([], "set");
            ids.forEach(function (id) {  // by id: a feed refresh may have replaced the element meanwhile
              if (!conflicts.delete(id)) return;
              var now = cardOf(id); if (now) showConflict(now);
            });
          } else {
            if (cardOf(dragged.dataset.job) === dragged) putBack();
            var listed = (body.details && body.details.conflicts) || [];
            listed.forEach(function (c) { conflicts.set(String(c.job_id), c.message); });
            if (!listed.length) ids.forEach(function (id) { conflicts.set(id, body.message); });
            ids.forEach(function (id) { var now = cardOf(id); if (now) showConflict(now); });
            refresh(ids);
          }
        })
        .finally(release);
    }).catch(function () { putBack(); });
  }

  // The post answered (or failed): the messages held meanwhile are handled now, in their order;
  // those the answer's partial already shows ask for nothing.
  function release() {
    var later = held;
    moving = null; held = [];
    later.forEach(route);
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
  recount();

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
  var wasLive = false;
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + location.host + "/ws/station/" + encodeURIComponent(code) + "/?cursor=" + cursor);
    ws.onopen = function () { retry = 1000; };
    ws.onmessage = function (e) {
      var m = JSON.parse(e.data);
      window.parcelrunBoard.messages += 1;
      if (typeof m.cursor === "number" && m.cursor > cursor && m.type !== "ping" && m.type !== "session.ready") cursor = m.cursor;
      if (m.type === "session.ready") { wasLive = true; live.dataset.state = "live"; live.textContent = live.dataset.live; }
      else if (m.type === "ping") { ws.send(JSON.stringify({type: "pong", cursor: cursor})); }
      else if (m.type === "error" && m.payload && m.payload.details && m.payload.details.close_code === 4410) { location.reload(); }
      // Access to this station withdrawn while the page was open: reload, so the board (names,
      // phones, addresses) leaves the screen and the server says what this person may see now.
      else if (m.type === "error" && m.payload && m.payload.code === "access_revoked") { location.reload(); }
      // Logged out (in another tab) or the session ended while the board was live: reload, so the
      // board leaves the screen for the login page. Only once it was live: a page whose first
      // connect is refused does not reload in a loop.
      else if (m.type === "error" && m.payload && m.payload.details && m.payload.details.close_code === 4401 && wasLive) { location.reload(); }
      else { route(m); forget(m.cursor); }
    };
    ws.onclose = function (e) {
      live.dataset.state = "offline"; live.textContent = live.dataset.offline;
      if (e.code === 4401 || e.code === 4403 || e.code === 4404) return;
      setTimeout(connect, retry); retry = Math.min(retry * 2, 15000);
    };
  }

  // Once the feed is past every partial applied and no request is in flight, no message or answer
  // can be older than them: the cursors kept per job are dropped (the map stays small).
  function forget(at) {
    if (typeof at === "number" && at > headsAt && renderedAt.size && !flushing && !moving) renderedAt.clear();
  }

  function involves(m) {
    var p = m.payload || {};
    if (p.job) return moving.has(String(p.job.id));
    if (p.route) return p.route.jobs.some(function (j) { return moving.has(String(j.id)); });
    return p.job_id !== undefined && moving.has(String(p.job_id));
  }

  // A change message, handled by what it names.
  function route(m) {
    var p = m.payload || {}, at = m.cursor;
    if (moving && involves(m)) { held.push(m); return; }
    if (p.job) { onJob(p.job, at); }
    else if (p.route) { onRoute(p.route.jobs, at); }
    else if (p.job_id) { if (!shown(String(p.job_id), at)) refresh([p.job_id]); }
    else if (m.type.indexOf("shipment.") === 0) {
      var tn = p.tracking_no || (p.shipment && p.shipment.tracking_no);
      board.querySelectorAll('.card[data-tracking="' + tn + '"]').forEach(function (c) { refresh([c.dataset.job]); });
    } else if (m.type === "courier.location") {
      var head = board.querySelector('.lane-head[data-courier="' + p.courier_id + '"]');
      if (head) {
        head.dataset.lastSeen = m.at;
        head.dataset.lat = p.lat; head.dataset.lng = p.lng;  // map.js watches these
        head.querySelector(".loc").textContent = p.lat.toFixed(5) + ", " + p.lng.toFixed(5);
        markOffline(); tell("board:heads", []);
      }
    }
  }
  connect();
})();
