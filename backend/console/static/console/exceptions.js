/* The exceptions queue, live: the station feed says when a fact that can open or close an exception
 * was committed, and the page fetches itself again (at most every REDRAW_MS) and redraws the queue in
 * place. A row whose reason is being typed is kept as it is, so a reason is never lost. The queue is
 * computed by the server; nothing here decides what is one. */
(function () {
  "use strict";
  var REDRAW_MS = 500;
  var root = document.getElementById("exceptions");
  if (!root) return;
  var code = root.dataset.station, cursor = Number(root.dataset.cursor), retry = 1000;
  var banner = document.getElementById("queue-changed");
  var dirty = false, busy = false, timer = null, last = 0;
  window.parcelrunQueue = {redraws: 0};
  // Jobs, shipments (scans, exceptions), negotiations and proofs can change the queue; positions and pings cannot.
  var RELEVANT = /^(job|shipment|negotiation|proof)\./;

  function keyOf(row) { return row.dataset.kind + "|" + row.dataset.subject; }

  function redraw() {
    timer = null;
    if (busy || !dirty) return;
    dirty = false; busy = true; last = Date.now();
    fetch(location.pathname + location.search, {credentials: "same-origin"})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("exceptions");
        if (!fresh) return;
        var typing = new Map();  // rows with a reason being typed stay as they are
        root.querySelectorAll("tr.exception").forEach(function (row) {
          var input = row.querySelector("input[name=reason]");
          if (input && (input.value || document.activeElement === input)) typing.set(keyOf(row), row);
        });
        fresh.querySelectorAll("tr.exception").forEach(function (row) {
          var kept = typing.get(keyOf(row));
          if (kept) row.replaceWith(kept);
        });
        ["#exception-count", "table.queue", "p.empty"].forEach(function (sel) {
          var mine = root.querySelector(sel), theirs = fresh.querySelector(sel);
          if (mine && theirs) mine.replaceWith(document.importNode(theirs, true));
          else if (mine) mine.remove();
          else if (theirs) root.querySelector("nav.kinds").after(document.importNode(theirs, true));
        });
        banner.hidden = true;
        window.parcelrunQueue.redraws += 1;
      })
      .catch(function () { dirty = true; banner.hidden = false; })  // the Refresh link still works
      .finally(function () { busy = false; schedule(); });
  }

  function schedule() {
    if (!timer && dirty && !busy) timer = setTimeout(redraw, Math.max(0, last + REDRAW_MS - Date.now()));
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + location.host + "/ws/station/" + encodeURIComponent(code) + "/?cursor=" + cursor);
    ws.onopen = function () { retry = 1000; };
    ws.onmessage = function (e) {
      var m = JSON.parse(e.data);
      if (m.type === "ping") { ws.send(JSON.stringify({type: "pong", cursor: cursor})); return; }
      if (m.type === "session.ready") { root.dataset.live = "true"; return; }
      if (typeof m.cursor === "number" && m.cursor > cursor) cursor = m.cursor;
      if (RELEVANT.test(m.type || "")) { dirty = true; schedule(); }
    };
    ws.onclose = function (e) {
      if (e.code === 4401 || e.code === 4403 || e.code === 4404) return;  // not allowed: stop
      if (e.code === 4410) { dirty = true; schedule(); }  // too far behind: redraw, then carry on
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 15000);
    };
  }
  connect();
})();
