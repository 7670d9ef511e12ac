/* The exceptions queue, told of changes: the station feed says when a fact that can open or close an
 * exception was committed, and the page offers a refresh. It does not reload by itself, so a reason
 * being typed is never lost. The queue is computed by the server; nothing here decides what is one. */
(function () {
  "use strict";
  var root = document.getElementById("exceptions");
  if (!root) return;
  var code = root.dataset.station, cursor = Number(root.dataset.cursor), retry = 1000, changes = 0;
  var banner = document.getElementById("queue-changed");
  // Jobs, shipments (scans, exceptions), negotiations and proofs can change the queue; positions and pings cannot.
  var RELEVANT = /^(job|shipment|negotiation|proof)\./;

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + location.host + "/ws/station/" + encodeURIComponent(code) + "/?cursor=" + cursor);
    ws.onopen = function () { retry = 1000; };
    ws.onmessage = function (e) {
      var m = JSON.parse(e.data);
      if (m.type === "ping") { ws.send(JSON.stringify({type: "pong", cursor: cursor})); return; }
      if (m.type === "session.ready") { root.dataset.live = "true"; return; }
      if (typeof m.cursor === "number" && m.cursor > cursor) cursor = m.cursor;
      if (RELEVANT.test(m.type || "")) {
        changes += 1;
        banner.querySelector(".n").textContent = String(changes);
        banner.hidden = false;
      }
    };
    ws.onclose = function (e) {
      if (e.code === 4401 || e.code === 4403 || e.code === 4404) return;  // not allowed: stop
      if (e.code === 4410) { banner.hidden = false; return; }  // too far behind: the refresh link redraws
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 15000);
    };
  }
  connect();
})();
