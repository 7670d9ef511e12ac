/* "Courier unavailable" (docs/console.md#courier-unavailable).
 *
 * The button on a courier's lane fetches the planner's preview (a server-rendered partial: what goes
 * where, the new ETAs, what cannot be served) into a dialog. Apply posts the preview's jobs with
 * their versions, its token and the required reason; the service applies it all or nothing. When the
 * routes changed meanwhile the answer says so and the dialog shows a fresh preview instead: the
 * supervisor applies only what they have seen. The board learns the moves from the station feed.
 */
(function () {
  "use strict";
  var board = document.getElementById("board"), dialog = document.getElementById("unavailable-dialog");
  if (!board || !dialog) return;
  var base = board.dataset.unavailableUrl;
  var csrf = board.querySelector("input[name=csrfmiddlewaretoken]").value;
  var body = dialog.querySelector(".preview-body"), error = dialog.querySelector(".error");
  var reason = document.getElementById("unavailable-reason"), ok = document.getElementById("unavailable-ok");
  var courier = null;

  function say(message) { error.hidden = !message; error.textContent = message || ""; }

  function load(id, message) {
    courier = id; ok.disabled = true;
    return fetch(base + id + "/preview", {credentials: "same-origin"})
      .then(function (r) {
        return r.ok ? r.text() : r.json().then(function (b) { throw new Error(b.message); });
      })
      .then(function (html) { body.innerHTML = html; ok.disabled = false; say(message); })
      .catch(function (e) { body.innerHTML = ""; say(e.message); });
  }

  board.addEventListener("click", function (e) {
    var button = e.target.closest("button[data-unavailable]");
    if (!button) return;
    reason.value = ""; body.innerHTML = ""; say("");
    dialog.showModal();
    load(button.dataset.unavailable);
  });

  dialog.addEventListener("submit", function (e) {
    var submitter = e.submitter;
    if (!submitter || submitter.value !== "ok") return;  // Cancel closes the dialog
    e.preventDefault();
    var preview = body.querySelector(".unavailable-preview"), text = reason.value.trim();
    if (!preview) return;
    if (!text) { reason.focus(); return; }
    var form = new URLSearchParams();
    form.set("reason", text); form.set("jobs", preview.dataset.jobs); form.set("token", preview.dataset.token);
    ok.disabled = true;
    fetch(base + courier, {method: "POST", credentials: "same-origin", body: form, headers: {"X-CSRFToken": csrf}})
      .then(function (r) { return r.json().then(function (b) { return [r.status, b]; }); })
      .then(function (res) {
        if (res[0] === 200) { dialog.close("done"); return; }
        var code = res[1].code;
        if (code === "preview_stale" || code === "reassign_conflict" || code === "courier_not_on_duty") {
          return load(courier, res[1].message);  // show what would happen now, with why
        }
        ok.disabled = false; say(res[1].message);
      })
      .catch(function (err) { ok.disabled = false; say(String(err)); });
  });
})();
