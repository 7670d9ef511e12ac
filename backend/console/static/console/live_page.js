/* A console list page kept live (exceptions, incidents, disruptions, cash). The page's root names the
 * station feed's message types that can change what it shows (data-live, a regular expression); when
 * one is committed the page fetches itself again (at most every data-live-every ms) and swaps its
 * live parts ([data-live-part]) in place. A row being edited (the focus in it, or a field changed
 * from what the server drew) is kept as it is, so nothing typed is lost; a row the server no longer
 * draws goes. What the page shows is the server's to decide: nothing here computes it. */
(function () {
  "use strict";
  var root = document.querySelector("section[data-live]");
  if (!root) return;
  var types = new RegExp(root.dataset.live), every = Number(root.dataset.liveEvery || 500);
  var code = root.dataset.station, cursor = Number(root.dataset.cursor), retry = 1000;
  var banner = root.querySelector(".page-changed");
  var dirty = false, busy = false, timer = null, last = 0;
  var stats = {redraws: 0};
  window.parcelrunLive = stats;
  window.parcelrunQueue = stats;  // the exceptions page's earlier name, read by its tests

  function changedSelect(select) {
    var drawn = 0;
    for (var i = 0; i < select.options.length; i++) if (select.options[i].defaultSelected) drawn = i;
    return select.selectedIndex !== drawn;
  }

  function edited(row) {
    if (row.contains(document.activeElement)) return true;
    return Array.prototype.some.call(row.querySelectorAll("input, textarea, select"), function (f) {
      if (f.tagName === "SELECT") return changedSelect(f);
      return f.type !== "hidden" && f.value !== f.defaultValue;
    });
  }

  function swap(fresh) {
    var active = document.activeElement, from = null, to = null;
    try { from = active.selectionStart; to = active.selectionEnd; } catch (e) { /* not a text field */ }
    var kept = new Map();
    root.querySelectorAll("[data-live-part] [data-key]").forEach(function (row) {
      if (edited(row)) kept.set(row.dataset.key, row);
    });
    root.querySelectorAll("[data-live-part]").forEach(function (mine) {
      var theirs = fresh.querySelector('[data-live-part="' + mine.dataset.livePart + '"]');
      if (!theirs) return;
      var part = document.importNode(theirs, true);
      part.querySelectorAll("[data-key]").forEach(function (row) {
        var row0 = kept.get(row.dataset.key);
        if (row0) row.replaceWith(row0);  // the very element, with what was typed in it
      });
      mine.replaceWith(part);
    });
    if (active && active !== document.body && document.contains(active) && document.activeElement !== active) {
      active.focus();
      if (from !== null) try { active.setSelectionRange(from, to); } catch (e) { /* not a text field */ }
    }
  }

  function redraw() {
    timer = null;
    if (busy || !dirty) return;
    dirty = false; busy = true; last = Date.now();
    fetch(location.pathname + location.search, {credentials: "same-origin"})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(root.id);
        if (!fresh) return;
        swap(fresh);
        if (banner) banner.hidden = true;
        stats.redraws += 1;
      })
      .catch(function () { dirty = true; if (banner) banner.hidden = false; })  // its Refresh link still works
      .finally(function () { busy = false; schedule(); });
  }

  function schedule() {
    if (!timer && dirty && !busy) timer = setTimeout(redraw, Math.max(0, last + every - Date.now()));
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + location.host + "/ws/station/" + encodeURIComponent(code) + "/?cursor=" + cursor);
    ws.onopen = function () { retry = 1000; };
    ws.onmessage = function (e) {
      var m = JSON.parse(e.data);
      if (m.type === "ping") { ws.send(JSON.stringify({type: "pong", cursor: cursor})); return; }
      if (m.type === "session.ready") { root.dataset.liveReady = "true"; return; }
      if (m.type === "error" && m.payload && m.payload.code === "access_revoked") { location.reload(); return; }  // the page is no longer theirs
      // Logged out elsewhere or the session ended: to the login page (only once live: no reload loop).
      if (m.type === "error" && m.payload && m.payload.details && m.payload.details.close_code === 4401 && root.dataset.liveReady === "true") { location.reload(); return; }
      if (typeof m.cursor === "number" && m.cursor > cursor) cursor = m.cursor;
      if (types.test(m.type || "")) { dirty = true; schedule(); }
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
