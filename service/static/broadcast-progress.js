// The broadcast page's progress bar, updated without a reload: asks the page's JSON (data-progress-url) every
// second while the broadcast still has messages on their way. Without JavaScript the page's refresh link does it.
(function () {
  "use strict";
  var box = document.getElementById("broadcast-progress");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-progress-url");
  var bar = box.querySelector("progress");

  function show(name, value) {
    var field = box.querySelector('[data-count="' + name + '"]');
    if (field) { field.textContent = String(value); }
  }

  function update(data) {
    var done = data.sent + data.delivered + data.failed;
    bar.max = Math.max(1, data.total);
    bar.value = done;
    bar.textContent = done + " / " + data.total;
    show("gone", data.sent + data.delivered);
    show("delivered", data.delivered);
    show("failed", data.failed);
    show("left", data.total - done);
    show("total", data.total);
    var state = box.querySelector("[data-state]");
    if (state) { state.textContent = data.state_label; }
    return data.state === "sending" || data.state === "paused" || data.waiting > 0;
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) { if (update(data)) { window.setTimeout(poll, 1000); } })
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  window.setTimeout(poll, 1000);
}());
