// The customer's page, live: follow the parcel's shipment feed (docs/realtime.md) and keep the
// status, the ETA and the agreed window (#status, #eta, #agreed) current. The server decides
// everything; this only shows what the feed says. Without it the page still works, showing the
// plan as it was when the page was loaded.
(function () {
  "use strict";
  var box = document.getElementById("live");
  if (!box || !box.dataset.token || !("WebSocket" in window)) {
    return;
  }
  var labels = JSON.parse(document.getElementById("status-labels").textContent);
  var clock = new Intl.DateTimeFormat("en-GB", {
    timeZone: box.dataset.tz || undefined,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });
  var cutoffMs = Number(box.dataset.cutoffMinutes || 0) * 60000;
  var eta = box.dataset.eta ? Date.parse(box.dataset.eta) : null;
  var cursor = null; // the largest cursor processed: reconnecting with it replays what was missed
  var delay = 1000;

  function hm(iso) {
    return clock.format(new Date(iso));
  }

  function row(id, text) {
    var value = document.getElementById(id);
    var label = document.getElementById(id + "-label");
    value.textContent = text;
    value.hidden = !text;
    if (label) {
      label.hidden = !text;
    }
  }

  // A hint only: once the ETA is within the cut-off (measured against the server's clock, the
  // message's "at", not the phone's), hide what can no longer be chosen. The server refuses it anyway
  // and a reload shows the whole cut-off notice; the stop count is only known there.
  function checkCutoff(serverNow) {
    if (box.dataset.open !== "1" || eta === null || !cutoffMs || eta - serverNow > cutoffMs) {
      return;
    }
    box.dataset.open = "";
    document.querySelectorAll("[data-moves]").forEach(function (el) {
      el.hidden = true;
      el.disabled = true;
    });
    document.getElementById("cutoff-live").hidden = false;
  }

  function apply(message) {
    var p = message.payload;
    if (message.type === "tracking.updated") {
      row("status", labels[p.shipment.status] || p.shipment.status);
      if (p.visit) {
        eta = p.visit.eta ? Date.parse(p.visit.eta) : null;
        row("eta", p.visit.eta ? hm(p.visit.eta) : "");
        row(
          "agreed",
          p.visit.window_start && p.visit.window_end
            ? hm(p.visit.window_start) + "–" + hm(p.visit.window_end)
            : ""
        );
      }
    } else if (message.type === "tracking.scanned") {
      row("status", labels[p.status] || p.status);
    }
    if (message.at) {
      checkCutoff(Date.parse(message.at));
    }
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var url =
      scheme + location.host + box.dataset.feed + "?token=" + encodeURIComponent(box.dataset.token) +
      (cursor === null ? "" : "&cursor=" + cursor);
    var socket = new WebSocket(url);
    socket.onmessage = function (event) {
      var message = JSON.parse(event.data);
      if (typeof message.cursor === "number") {
        cursor = cursor === null ? message.cursor : Math.max(cursor, message.cursor);
      }
      if (message.type === "session.ready") {
        box.dataset.live = "on";
        delay = 1000;
      } else if (message.type === "ping") {
        socket.send(JSON.stringify({ type: "pong", cursor: cursor }));
      }
      apply(message);
    };
    socket.onclose = function (event) {
      box.dataset.live = "off";
      if (event.code === 4410) {
        location.reload(); // too much missed: the page itself is the fresh snapshot
      } else if (event.code < 4400 || event.code === 4408 || event.code === 4429) {
        setTimeout(connect, delay); // a dropped network or a slow reader: come back where we were
        delay = Math.min(delay * 2, 30000);
      } // other 44xx: the link is not (or no longer) good for this feed; the page stays as it is
    };
  }

  connect();
})();
